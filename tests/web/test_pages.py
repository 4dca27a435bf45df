"""Serving the pages: security headers, hashed assets cached for good and compressed, and
nothing served that the build did not make."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from app.web.assets import DIST, NotBuilt, load_build

pytestmark = [pytest.mark.usefixtures("web_build"), pytest.mark.database("own")]


def page_assets(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="/static/([^"]+)"', html)


def test_the_page_carries_security_headers_and_is_never_reused_unchecked(web_client):
    r = web_client.get("/questionnaire/incas-2021")

    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    csp = dict(d.strip().split(" ", 1) for d in r.headers["content-security-policy"].split(";"))
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "'self'" and csp["connect-src"] == "'self'"
    # MapLibre's worker is one of our files: no blob: workers, no eval.
    assert csp["worker-src"] == "'self'"
    assert "unsafe" not in r.headers["content-security-policy"]
    assert csp["frame-ancestors"] == "'none'"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-cache"
    # The shell names only assets of this build, and no other host.
    assets = page_assets(r.text)
    assert {a.rsplit(".", 1)[1] for a in assets} == {"css", "js"}
    assert not re.search(r'(?:src|href)="(?:https?:)?//', r.text)


def test_assets_have_hashed_names_long_cache_and_precompressed_bodies(web_client):
    html = web_client.get("/questionnaire/incas-2021").text
    script = next(a for a in page_assets(html) if a.endswith(".js"))
    assert re.fullmatch(r"questionnaire-[A-Z0-9]{8,}\.js", script)
    identity = (DIST / "static" / script).read_bytes()

    plain = web_client.get(f"/static/{script}", headers={"Accept-Encoding": "identity"})
    gz = web_client.get(f"/static/{script}", headers={"Accept-Encoding": "gzip"})
    br = web_client.get(f"/static/{script}", headers={"Accept-Encoding": "gzip, br"})

    for r in (plain, gz, br):
        assert r.status_code == 200
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert r.headers["content-type"].startswith("text/javascript")
        assert "Accept-Encoding" in r.headers["vary"]
        assert r.headers["x-content-type-options"] == "nosniff"
    assert "content-encoding" not in plain.headers and plain.content == identity
    assert gz.headers["content-encoding"] == "gzip"
    assert gzip.decompress((DIST / "static" / f"{script}.gz").read_bytes()) == identity
    assert int(gz.headers["content-length"]) < len(identity) / 3
    assert br.headers["content-encoding"] == "br"
    assert int(br.headers["content-length"]) == (DIST / "static" / f"{script}.br").stat().st_size
    refused = web_client.get(f"/static/{script}", headers={"Accept-Encoding": "br;q=0, gzip"})
    assert refused.headers["content-encoding"] == "gzip"


def test_only_what_the_build_listed_is_served(web_client):
    manifest = json.loads((DIST / "manifest.json").read_text())
    assert all(name in manifest["assets"] for name in page_assets(manifest_page(manifest)))

    for path in ("/static/manifest.json", "/static/../manifest.json", "/static/%2e%2e/build.py",
                 "/static/questionnaire.js", "/static/pages/questionnaire.html"):  # fmt: skip
        r = web_client.get(path)
        assert r.status_code == 404, path
        assert r.json()["error"]["code"] == "not_found"
    assert web_client.get("/questionnaire/Not A Code").status_code == 422


def manifest_page(manifest: dict) -> str:
    return (DIST / manifest["pages"]["questionnaire"]).read_text()


def test_a_missing_build_says_how_to_make_one(tmp_path: Path):
    with pytest.raises(NotBuilt, match="make run"):
        load_build(tmp_path)
