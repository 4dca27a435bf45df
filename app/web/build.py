"""Build the web pages when their sources changed: `python -m app.web.build [--force]`.

Three steps, each skipped when nothing it depends on changed:
1. `npm ci` from the committed package-lock.json (node_modules/ keeps the lockfile's hash);
2. the app's own OpenAPI document, written to build/openapi.json: the page checks the
   response document against the schema the API itself publishes;
3. `node bundle.mjs`, which bundles, hashes and compresses into dist/.
The stamp in dist/ holds the fingerprint of everything the build read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

WEB = Path(__file__).resolve().parent
ROOT = WEB.parents[1]
NODE_MODULES = WEB / "node_modules"
LOCK_STAMP = NODE_MODULES / ".incas-lock-sha256"
OPENAPI = WEB / "build" / "openapi.json"
STAMP = WEB / "dist" / ".fingerprint"
# What the bundle reads besides node_modules: the sources, and what the Document schema is
# generated from (its model, and main.py, which publishes it).
INPUTS = [
    WEB / "package.json",
    WEB / "package-lock.json",
    WEB / "bundle.mjs",
    WEB / "src",
    ROOT / "app" / "census" / "questionnaire.py",
    ROOT / "app" / "main.py",
]


def _files(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]


def fingerprint() -> str:
    """Hash every input file (path and content) and the tool versions that shape the output."""
    h = hashlib.sha256()
    for path in INPUTS:
        for f in _files(path):
            h.update(str(f.relative_to(ROOT)).encode() + b"\0" + f.read_bytes() + b"\0")
    h.update(f"pydantic {version('pydantic')} fastapi {version('fastapi')}".encode())
    return h.hexdigest()


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _run(cmd: list[str]) -> None:
    _say("+ " + " ".join(cmd))
    subprocess.run(cmd, cwd=WEB, check=True)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SystemExit(
            f"{name} is missing: the web pages need Node.js and npm "
            "(scripts/install-system-deps.sh installs Debian's nodejs and npm)"
        )
    return path


def install_packages() -> None:
    """Run `npm ci` unless node_modules/ already holds this lockfile's packages."""
    lock = hashlib.sha256((WEB / "package-lock.json").read_bytes()).hexdigest()
    if LOCK_STAMP.exists() and LOCK_STAMP.read_text().strip() == lock:
        return
    _run([_tool("npm"), "ci", "--no-audit", "--no-fund", "--loglevel=error"])
    LOCK_STAMP.write_text(lock + "\n")


def write_openapi(path: Path = OPENAPI) -> None:
    """Write the app's OpenAPI document, as GET /openapi.json would answer it."""
    from app.main import create_app  # the whole app: only the build needs it here

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(create_app().openapi(), indent=1) + "\n")


def build(force: bool = False) -> bool:
    """Build dist/ if an input changed (or `force`); return whether it built."""
    install_packages()
    stamp = fingerprint()
    if not force and STAMP.exists() and STAMP.read_text().strip() == stamp:
        _say("web pages are up to date")
        return False
    write_openapi()
    _run([_tool("node"), "bundle.mjs", str(OPENAPI)])
    STAMP.write_text(stamp + "\n")
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="build even if nothing changed")
    build(force=parser.parse_args().force)


if __name__ == "__main__":
    main()
