"""GetFeature: plan the queries, count them, and stream GML 3 or GeoJSON written by PostGIS."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode
from xml.sax.saxutils import quoteattr

from sqlalchemy.orm import Session
from starlette.responses import Response, StreamingResponse

from app.api.layer_deps import AccessLog, LayerScope
from app.api.wfs.exceptions import invalid
from app.api.wfs.model import (
    GML_FORMATS,
    GML_NS,
    GML_SCHEMA,
    MAX_COUNT,
    NAMESPACE,
    PREFIX,
    WFS_NS,
    WFS_SCHEMA,
    GetFeature,
    Query,
    output_kind,
)
from app.errors import InvalidQuery
from app.geo.layers.crs import CrsForm
from app.geo.layers.features import (
    FeatureQuery,
    Features,
    GmlStyle,
    feature_collection,
)
from app.geo.layers.filters import Envelope, Spatial
from app.geo.layers.registry import Layer, LayerContext, UnknownLayer

XSI = "http://www.w3.org/2001/XMLSchema-instance"


@dataclass
class Plan:
    """One query of the request, resolved: its layer, features, page and counts."""

    layer: Layer
    features: Features
    query: FeatureQuery
    bbox: Envelope | None
    # EPSG:n asked for is written back as EPSG:n (easting first); urn and http names as urns.
    long_srs_name: bool
    matched: int = 0


def find_layer(session: Session, scope: LayerScope, ctx: LayerContext, name: str) -> Layer:
    """Return a visible layer; anything else is the same InvalidParameterValue."""
    try:
        return scope.registry.find(session, ctx, name)
    except UnknownLayer as exc:
        raise invalid("typeNames", f"unknown feature type {name}") from exc


def _plan(session: Session, scope: LayerScope, ctx: LayerContext, q: Query, json_out: bool) -> Plan:
    layer = find_layer(session, scope, ctx, q.type_name)
    features = Features(session, layer, ctx)
    query = FeatureQuery(
        filter=q.filter,
        sort=q.sort,
        properties=q.property_names,
        crs=q.srs.crs,
        # GeoJSON is always easting (longitude) first.
        northing_first=q.srs.northing_first and not json_out,
    )
    bbox = q.filter.geometry if isinstance(q.filter, Spatial) else None
    long_names = q.srs.form in (CrsForm.URN, CrsForm.URI)
    plan = Plan(layer, features, query, bbox if isinstance(bbox, Envelope) else None, long_names)
    try:
        features.validate(query)
        plan.matched = features.count(query)
    except InvalidQuery as exc:
        raise invalid(exc.locator or "filter", exc.message) from exc
    return plan


def _paginate(plans: list[Plan], start: int, count: int | None) -> None:
    """Spread one page (start, count) over the queries, in order."""
    skip, left = start, count if count is not None else MAX_COUNT
    for plan in plans:
        offset = min(skip, plan.matched)
        skip -= offset
        take = min(plan.matched - offset, left)
        left -= take
        plan.query = FeatureQuery(**{**plan.query.__dict__, "offset": offset, "limit": take})


def get_feature(
    session: Session,
    scope: LayerScope,
    request: GetFeature,
    url: str,
    params: dict[str, str] | None,
    log: AccessLog,
) -> Response:
    """Answer a GetFeature; `params` (KVP only) lets the answer link the next page."""
    kind = output_kind(request.version, request.output_format)
    ctx = scope.context(request.run)
    plans = [_plan(session, scope, ctx, q, kind == "json") for q in request.queries]
    if request.count is not None and request.count > MAX_COUNT:
        raise invalid("count", f"count is at most {MAX_COUNT}")
    _paginate(plans, request.start_index, request.count)
    matched = sum(p.matched for p in plans)
    returned = 0 if request.hits else sum(p.query.returned(p.matched) for p in plans)
    for plan in plans:
        bbox = plan.features.bbox_of(plan.bbox) if plan.bbox and plan.layer.restricted else None
        count = plan.matched if request.hits else plan.query.returned(plan.matched)
        log.read(plan.layer, "wfs", count, bbox)
    if request.hits:
        plans = []
    links = _links(url, params, request, matched, returned)
    if kind == "json":
        body = _geojson(plans, matched, returned, links)
        media = "application/geo+json" if "geo+json" in (request.output_format or "") else None
        return StreamingResponse(body, media_type=media or "application/json")
    body = _gml(request.version, plans, matched, returned, links, url)
    return StreamingResponse(body, media_type=GML_FORMATS[request.version][0])


def _links(
    url: str, params: dict[str, str] | None, request: GetFeature, matched: int, returned: int
) -> dict[str, str]:
    """Return the next and previous pages of a KVP request that has a COUNT."""
    if params is None or request.count is None or request.hits:
        return {}
    kept = {k: v for k, v in params.items() if k.upper() != "STARTINDEX"}
    links = {}
    if request.start_index + returned < matched:
        links["next"] = (
            f"{url}?{urlencode({**kept, 'STARTINDEX': request.start_index + request.count})}"
        )
    if request.start_index > 0:
        previous = max(0, request.start_index - request.count)
        links["previous"] = f"{url}?{urlencode({**kept, 'STARTINDEX': previous})}"
    return links


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _gml(
    version: str, plans: list[Plan], matched: int, returned: int, links: dict[str, str], url: str
) -> Iterator[str]:
    wfs, gml = WFS_NS[version], GML_NS[version]
    names = ",".join(f"{PREFIX}:{p.layer.name}" for p in plans) or None
    describe = (
        url
        + "?"
        + urlencode(
            {"SERVICE": "WFS", "VERSION": version, "REQUEST": "DescribeFeatureType"}
            | ({"TYPENAMES": names} if names else {})
        )
    )
    locations = f"{NAMESPACE} {describe} {wfs} {WFS_SCHEMA[version]} {gml} {GML_SCHEMA[version]}"
    attributes = [f'timeStamp="{_timestamp()}"']
    if version == "2.0.0":
        attributes += [f'numberMatched="{matched}"', f'numberReturned="{returned}"']
        attributes += [f"{rel}={quoteattr(href)}" for rel, href in links.items()]
        member = "wfs:member"
    else:
        attributes.append(f'numberOfFeatures="{returned if plans else matched}"')
        member = "gml:featureMember"
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<wfs:FeatureCollection xmlns:wfs="{wfs}" xmlns:gml="{gml}" '
        f'xmlns:{PREFIX}="{NAMESPACE}" xmlns:xsi="{XSI}" '
        f"xsi:schemaLocation={quoteattr(locations)} {' '.join(attributes)}>\n"
    )
    for plan in plans:
        style = GmlStyle(member, PREFIX, plan.long_srs_name)
        for batch in plan.features.gml(plan.query, style):
            yield "".join(batch)
    yield "</wfs:FeatureCollection>\n"


def _geojson(
    plans: list[Plan], matched: int, returned: int, links: dict[str, str]
) -> Iterator[str]:
    head: dict = {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": returned,
        "timeStamp": _timestamp(),
    }
    srids = {p.query.crs.srid for p in plans}
    if srids and srids != {4326}:
        head["crs"] = {"type": "name", "properties": {"name": plans[0].query.crs.urn}}
    if links:
        head["links"] = [
            {"rel": rel, "href": href, "type": "application/json"} for rel, href in links.items()
        ]
    batches = (batch for plan in plans for batch in plan.features.geojson(plan.query))
    yield from feature_collection(head, batches)
