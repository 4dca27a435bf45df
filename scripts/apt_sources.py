#!/usr/bin/env python3
"""Print the mirror this machine's apt sources name for a Debian suite.

    python3 scripts/apt_sources.py SUITE [--apt-dir /etc/apt]

prints the URI of the first enabled `deb` source that carries SUITE (`bookworm`,
`bookworm-security`), reading the files apt reads, in apt's order: sources.list, then
sources.list.d/*.list (one-line format) and *.sources (deb822), by name. Commented lines and
`Enabled: no` stanzas do not count. Exits 1, saying so, when no source carries the suite.

scripts/fresh-machine-check.sh builds its Debian root from these mirrors, so that the project
names no package-registry host of its own. Standard library only: it runs on the bare host.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path


def one_line_sources(text: str) -> Iterator[tuple[list[str], list[str], list[str]]]:
    """Yield (types, URIs, suites) of each entry of a sources.list file."""
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        kind, _, rest = line.partition(" ")
        rest = rest.strip()
        if rest.startswith("["):  # [arch=amd64 signed-by=...]
            rest = rest.partition("]")[2].strip()
        words = rest.split()
        if len(words) >= 2:
            yield [kind], [words[0]], [words[1]]


def deb822_sources(text: str) -> Iterator[tuple[list[str], list[str], list[str]]]:
    """Yield (types, URIs, suites) of each enabled stanza of a .sources file."""
    stanzas: list[dict[str, str]] = [{}]
    key = None
    for raw in text.splitlines():
        if not raw.strip():
            stanzas.append({})
            key = None
        elif raw.startswith("#"):
            continue
        elif raw[0] in " \t" and key:  # a folded value goes on
            stanzas[-1][key] += " " + raw.strip()
        elif ":" in raw:
            key, _, value = raw.partition(":")
            key = key.strip().lower()
            stanzas[-1][key] = value.strip()
    for stanza in stanzas:
        if stanza and stanza.get("enabled", "yes").lower() != "no":
            yield (stanza.get("types", "").split(), stanza.get("uris", "").split(),
                   stanza.get("suites", "").split())  # fmt: skip


def sources(apt_dir: Path) -> Iterator[tuple[list[str], list[str], list[str]]]:
    """Yield every source of the machine, in the order apt reads them."""
    main = apt_dir / "sources.list"
    if main.is_file():
        yield from one_line_sources(main.read_text(encoding="utf-8", errors="replace"))
    parts = apt_dir / "sources.list.d"
    for path in sorted(parts.glob("*")) if parts.is_dir() else []:
        text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
        if path.suffix == ".list":
            yield from one_line_sources(text)
        elif path.suffix == ".sources":
            yield from deb822_sources(text)


def mirror_for(suite: str, apt_dir: Path) -> str | None:
    """Return the URI of the first enabled deb source that carries the suite."""
    for types, uris, suites in sources(apt_dir):
        if "deb" in types and suite in suites and uris:
            return uris[0]
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("suite", help="e.g. bookworm, or bookworm-security")
    parser.add_argument("--apt-dir", type=Path, default=Path("/etc/apt"))
    args = parser.parse_args()
    uri = mirror_for(args.suite, args.apt_dir)
    if uri is None:
        print(f"no apt source of {args.apt_dir} carries {args.suite}", file=sys.stderr)
        return 1
    print(uri)
    return 0


if __name__ == "__main__":
    sys.exit(main())
