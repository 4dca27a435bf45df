"""HTTP for the web pages: HTML shells with security headers, hashed assets cached for good."""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)

from app.census.surveys import CODE_PATTERN
from app.errors import NotFound
from app.web.assets import NotBuilt, load_build

router = APIRouter(include_in_schema=False)

# Everything comes from this origin: census offices sit on closed networks, and a page that
# holds a respondent's token runs no one else's code. MapLibre's worker is a file of ours
# (worker-src 'self'); its styles are set through the DOM, which style-src does not govern.
CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        # bootstrap-italia's stylesheet embeds one icon font as a data: URI.
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    # The token lives in the fragment and then in sessionStorage; no address leaves the page.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
# The HTML names the assets of one build: a browser must ask again before reusing it.
PAGE_HEADERS = {**SECURITY, "Cache-Control": "no-cache"}
# Asset names carry their content's hash: a name never changes meaning.
ASSET_HEADERS = {
    **SECURITY,
    "Cache-Control": "public, max-age=31536000, immutable",
    "Vary": "Accept-Encoding",
}

# Swagger UI and ReDoc, served from this app too: their scripts are files of ours, but both set
# styles in <style> elements they write themselves (ReDoc's styled-components), and ReDoc runs
# its search index in a blob: worker.
DOCS_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
DOCS_HEADERS = {**PAGE_HEADERS, "Content-Security-Policy": DOCS_CSP}

SurveyCode = Annotated[str, Path(pattern=CODE_PATTERN, description="Survey wave code.")]


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def page(request: Request, name: str, headers: dict[str, str] = PAGE_HEADERS) -> Response:
    """Answer a page's HTML shell, or 503 when the pages are not built."""
    try:
        shell = load_build().page(name)
    except NotBuilt as exc:
        return PlainTextResponse(str(exc), status_code=503, headers=headers)
    root = html.escape(_root(request), quote=True)
    return HTMLResponse(shell.replace("%ROOT%", root), headers=headers)


@router.get("/")
def home(request: Request) -> Response:
    """Lead a visitor to the atlas."""
    return RedirectResponse(f"{_root(request)}/map", status_code=307)


@router.get("/map")
def atlas(request: Request) -> Response:
    return page(request, "atlas")


@router.get("/docs")
def swagger_ui(request: Request) -> Response:
    return page(request, "docs", DOCS_HEADERS)


@router.get("/redoc")
def redoc(request: Request) -> Response:
    return page(request, "redoc", DOCS_HEADERS)


@router.get("/questionnaire/{survey_code}")
def questionnaire(request: Request, survey_code: SurveyCode) -> Response:
    return page(request, "questionnaire")


@router.get("/static/{name:path}")
def static_asset(request: Request, name: str) -> Response:
    try:
        asset = load_build().asset(name, request.headers.get("accept-encoding", ""))
    except NotBuilt:
        asset = None
    if asset is None:
        raise NotFound(f"no asset {name}")
    headers = dict(ASSET_HEADERS)
    if asset.encoding:
        headers["Content-Encoding"] = asset.encoding
    return FileResponse(asset.path, media_type=asset.media_type, headers=headers)
