"""The fresh-machine check takes its Debian mirrors from the machine; the project names none."""

from __future__ import annotations

import subprocess
import sys

from app.settings import ROOT

SCRIPT = ROOT / "scripts" / "apt_sources.py"
# Hosts of package registries, spelled in parts so that this file does not name them either.
REGISTRIES = [".".join(parts) for parts in (
    ("deb", "debian", "org"), ("security", "debian", "org"), ("ftp", "debian", "org"),
    ("archive", "ubuntu", "com"), ("security", "ubuntu", "com"), ("pypi", "org"),
    ("files", "pythonhosted", "org"), ("registry", "npmjs", "org"), ("registry", "yarnpkg", "com"),
    ("deb", "nodesource", "com"), ("apt", "postgresql", "org"),
)]  # fmt: skip
# Third-party lockfiles record the URLs they fetch from; they are the registry's, not ours.
LOCKFILES = ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml")


def mirror(apt_dir, suite: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), suite, "--apt-dir", str(apt_dir)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_mirrors_come_from_the_machines_apt_sources(tmp_path):
    parts = tmp_path / "sources.list.d"
    parts.mkdir()
    (tmp_path / "sources.list").write_text(
        "# deb http://old.invalid/debian bookworm main\n"
        "deb-src http://src.invalid/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://one.invalid/debian "
        "bullseye main\n"
    )
    (parts / "a-disabled.sources").write_text(
        "Types: deb\nURIs: http://off.invalid/debian\nSuites: bookworm\nEnabled: no\n"
    )
    (parts / "debian.sources").write_text(
        "Types: deb\n# a snapshot, noted\nURIs: http://mirror.invalid/debian\n"
        "Suites: bookworm bookworm-updates\nComponents: main\n\n"
        "Types: deb\nURIs: http://mirror.invalid/debian-security\n"
        "Suites:\n bookworm-security\nComponents: main\n"
    )
    (parts / "other.list.disabled").write_text("deb http://never.invalid/x bookworm main\n")

    assert mirror(tmp_path, "bookworm").stdout == "http://mirror.invalid/debian\n"
    assert mirror(tmp_path, "bookworm-security").stdout == "http://mirror.invalid/debian-security\n"
    assert mirror(tmp_path, "bullseye").stdout == "http://one.invalid/debian\n"
    missing = mirror(tmp_path, "trixie")
    assert missing.returncode == 1 and "trixie" in missing.stderr


def test_the_project_names_no_package_registry_host():
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True)  # fmt: skip
    named = []
    for name in listed.stdout.splitlines():
        path = ROOT / name
        if path.name in LOCKFILES or not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore")
        named += [f"{name}: {host}" for host in REGISTRIES if host in text]

    assert named == []
