"""Query parameters of OGC API Features, parsed into typed values (400 on bad values)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from app.api.deps import MAX_INT
from app.errors import InvalidQuery, UnknownCrs
from app.geo.layers.crs import CRS84_URI, WGS84, Crs, CrsForm, CrsRef, parse_crs
from app.geo.layers.filters import Envelope, Spatial

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
# Parameters every items request may carry; any other must name a queryable property.
KNOWN = {"limit", "offset", "bbox", "bbox-crs", "crs", "f", "run", "datetime"}

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"


def crs_uri(crs: Crs, crs84: bool = False) -> str:
    """Return the URI Part 2 names a CRS by (CRS84 for WGS 84 in lon/lat)."""
    return CRS84_URI if crs84 else crs.uri


def _crs(value: str | None, locator: str) -> CrsRef:
    if not value:
        return CrsRef(WGS84, CrsForm.CRS84)
    try:
        ref = parse_crs(value.strip("[]"))
    except UnknownCrs as exc:
        raise InvalidQuery(exc.message, locator) from exc
    # In OGC API a CRS is its definition: EPSG:4326 is latitude first however it is spelled.
    return ref if ref.form == CrsForm.CRS84 else CrsRef(ref.crs, CrsForm.URI)


def _int(value: str | None, locator: str, default: int, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise InvalidQuery(f"{locator} must be an integer", locator) from exc
    if not low <= number <= high:
        raise InvalidQuery(f"{locator} must be between {low} and {high}", locator)
    return number


def wants_html(request: Request, f: str | None) -> bool:
    """Say whether to answer HTML: f=html, or a browser that prefers it to JSON."""
    if f:
        if f.lower() not in ("json", "html", "geojson"):
            raise InvalidQuery("f is json or html", "f")
        return f.lower() == "html"
    accept = request.headers.get("accept", "").lower()
    html_at, json_at = accept.find(HTML), accept.find("json")
    return html_at >= 0 and (json_at < 0 or html_at < json_at)


@dataclass(frozen=True)
class ItemsParams:
    """An items request: page, area, output CRS, format, run, and property filters."""

    limit: int
    offset: int
    envelope: Envelope | None
    crs: CrsRef
    html: bool
    run: int | None
    properties: dict[str, str]

    @property
    def bbox(self) -> Spatial | None:
        return Spatial("intersects", self.envelope) if self.envelope else None


def items_params(
    request: Request,
    limit: Annotated[str | None, Query(description=f"1 to {MAX_LIMIT}.")] = None,
    offset: Annotated[str | None, Query(description="Features to skip.")] = None,
    bbox: Annotated[
        str | None, Query(description="minx,miny,maxx,maxy (CRS84 unless bbox-crs says).")
    ] = None,
    bbox_crs: Annotated[str | None, Query(alias="bbox-crs")] = None,
    crs: Annotated[str | None, Query(description="Output CRS URI (Part 2).")] = None,
    f: Annotated[str | None, Query(description="json or html.")] = None,
    run: Annotated[str | None, Query(description="Case-area run (analysts).")] = None,
) -> ItemsParams:
    extra = {k: v for k, v in request.query_params.items() if k not in KNOWN}
    box = _bbox(bbox, _crs(bbox_crs, "bbox-crs")) if bbox else None
    return ItemsParams(
        limit=_int(limit, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        offset=_int(offset, "offset", 0, 0, MAX_INT),
        envelope=box,
        crs=_crs(crs, "crs"),
        html=wants_html(request, f),
        run=_int(run, "run", 0, 1, MAX_INT) or None,
        properties=extra,
    )


def _bbox(value: str, crs: CrsRef) -> Envelope:
    try:
        numbers = [float(v) for v in value.split(",")]
    except ValueError as exc:
        raise InvalidQuery("bbox holds a non-number", "bbox") from exc
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4:
        raise InvalidQuery("bbox takes 4 (or 6) numbers", "bbox")
    a, b, c, d = numbers
    if crs.northing_first:
        a, b, c, d = b, a, d, c
    try:
        return Envelope(a, b, c, d, crs.srid)
    except ValueError as exc:
        raise InvalidQuery(f"bbox: {exc}", "bbox") from exc


ItemsDep = Annotated[ItemsParams, Depends(items_params)]


def format_param(
    request: Request, f: Annotated[str | None, Query(description="json or html.")] = None
) -> bool:
    """Return True when the answer should be HTML."""
    return wants_html(request, f)


HtmlDep = Annotated[bool, Depends(format_param)]
