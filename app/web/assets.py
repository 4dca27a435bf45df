"""The built pages and assets in dist/, as the manifest of the last build lists them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DIST = Path(__file__).resolve().parent / "dist"
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".txt": "text/plain; charset=utf-8",
}
SUFFIX = {"br": ".br", "gzip": ".gz"}


class NotBuilt(Exception):
    """dist/ has no build: the pages cannot be served until one is made."""


@dataclass(frozen=True)
class Asset:
    """A file to send: where it is, its media type, and its content encoding if compressed."""

    path: Path
    media_type: str
    encoding: str | None


@dataclass(frozen=True)
class Build:
    """One build's pages (name -> HTML shell) and assets (name -> encodings on disk)."""

    root: Path
    pages: dict[str, str]
    assets: dict[str, list[str]]

    def page(self, name: str) -> str:
        """Return a page's HTML shell, with `%ROOT%` left for the request to fill in."""
        if name not in self.pages:
            raise NotBuilt(f"the build has no page {name!r}")
        return (self.root / self.pages[name]).read_text(encoding="utf-8")

    def asset(self, name: str, accept_encoding: str) -> Asset | None:
        """Return the asset under `name` in the best encoding the client accepts, or None."""
        # Only names the manifest lists are ever served: no path reaches outside dist/static.
        encodings = self.assets.get(name)
        if encodings is None:
            return None
        path = self.root / "static" / name
        media_type = MEDIA_TYPES.get(path.suffix, "application/octet-stream")
        accepted = _accepted(accept_encoding)
        for encoding in encodings:
            if encoding in accepted:
                return Asset(path.with_name(path.name + SUFFIX[encoding]), media_type, encoding)
        return Asset(path, media_type, None)


def _accepted(header: str) -> set[str]:
    """Return the content codings an Accept-Encoding header accepts (q=0 refuses one)."""
    accepted = set()
    for part in header.lower().split(","):
        coding, *params = (p.strip() for p in part.split(";"))
        q = next((p.removeprefix("q=") for p in params if p.startswith("q=")), "1")
        try:
            weight = float(q)
        except ValueError:
            weight = 0.0
        if coding and weight > 0:
            accepted.add(coding)
    return accepted


@lru_cache(maxsize=4)
def _read(manifest: Path, mtime_ns: int) -> Build:
    data = json.loads(manifest.read_text(encoding="utf-8"))
    return Build(manifest.parent, data["pages"], data["assets"])


def load_build(root: Path = DIST) -> Build:
    """Return the build in `root`; a rebuild is picked up without restarting the server."""
    manifest = root / "manifest.json"
    try:
        mtime_ns = manifest.stat().st_mtime_ns
    except FileNotFoundError as exc:
        raise NotBuilt(
            "the web pages are not built: run `make run`, or `.venv/bin/python -m app.web.build`"
        ) from exc
    return _read(manifest, mtime_ns)
