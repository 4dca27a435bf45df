"""The OGC API Features endpoints, at /ogc and /surveys/{code}/ogc."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from html import escape
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from app.api.deps import SURVEY_CODE_PARAMETER, StreamSessionDep
from app.api.layer_deps import AccessLogDep, LayerRoute, LayerScope, ScopeDep
from app.api.ogc import documents, html
from app.api.ogc.params import GEOJSON, HTML, HtmlDep, ItemsDep, ItemsParams, crs_uri
from app.errors import InvalidQuery, NotFound
from app.geo.layers.crs import CrsForm
from app.geo.layers.features import FeatureQuery, Features, feature_collection
from app.geo.layers.filters import Compare, ResourceIds, all_of
from app.geo.layers.registry import Layer
from app.wording import counted

router = APIRouter(tags=["ogc-api-features"], route_class=LayerRoute)


def _both(path: str, summary: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Serve one handler for the reference layers and for a survey wave's."""

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        router.get(f"/ogc{path}", summary=summary, response_class=Response)(handler)
        router.get(
            f"/surveys/{{code}}/ogc{path}",
            summary=summary,
            response_class=Response,
            openapi_extra=SURVEY_CODE_PARAMETER,
        )(handler)
        return handler

    return decorate


def _root(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _base(request: Request, scope: LayerScope) -> str:
    return f"{_root(request)}{scope.base}/ogc"


def _title(scope: LayerScope) -> str:
    return "incas-census: " + (
        f"survey {scope.survey.code}" if scope.survey else "reference layers"
    )


@_both("", "Landing page")
def landing(request: Request, scope: ScopeDep, as_html: HtmlDep) -> Response:
    doc = documents.landing(_base(request, scope), _root(request), _title(scope))
    return html.page(_title(scope), html.document(doc)) if as_html else JSONResponse(doc)


@_both("/api", "The API definition of this endpoint (OpenAPI 3.0)")
def api(request: Request, session: StreamSessionDep, scope: ScopeDep) -> Response:
    ctx = scope.context()
    layers = scope.registry.visible(session, ctx)
    fields = {layer.name: layer.fields_for(ctx) for layer in layers}
    doc = documents.openapi(_base(request, scope), _title(scope), layers, fields)
    return JSONResponse(doc, media_type=documents.OPENAPI)


@_both("/conformance", "Conformance classes")
def conformance(as_html: HtmlDep) -> Response:
    doc = documents.conformance()
    if as_html:
        items = "".join(f"<li>{escape(c)}</li>" for c in doc["conformsTo"])
        return html.page("Conformance", f"<ul>{items}</ul>")
    return JSONResponse(doc)


@_both("/collections", "Collections")
def collections(
    request: Request, session: StreamSessionDep, scope: ScopeDep, as_html: HtmlDep
) -> Response:
    ctx = scope.context()
    base = _base(request, scope)
    docs = [
        documents.collection(base, layer, Features(session, layer, ctx).extent())
        for layer in scope.registry.visible(session, ctx)
    ]
    doc = documents.collections(base, docs)
    return html.collections(doc) if as_html else JSONResponse(doc)


@_both("/collections/{collection_id}", "One collection")
def collection(
    request: Request,
    collection_id: str,
    session: StreamSessionDep,
    scope: ScopeDep,
    as_html: HtmlDep,
) -> Response:
    layer = scope.find(session, collection_id)
    extent = Features(session, layer, scope.context()).extent()
    doc = documents.collection(_base(request, scope), layer, extent)
    return html.page(layer.title, html.document(doc)) if as_html else JSONResponse(doc)


@_both("/collections/{collection_id}/queryables", "Queryable properties of a collection")
def queryables(
    request: Request,
    collection_id: str,
    session: StreamSessionDep,
    scope: ScopeDep,
    as_html: HtmlDep,
) -> Response:
    layer = scope.find(session, collection_id)
    doc = documents.queryables(_base(request, scope), layer, layer.fields_for(scope.context()))
    if as_html:
        rows = [
            (k, v.get("type", v.get("format")), v.get("description", ""))
            for k, v in doc["properties"].items()
        ]
        return html.page(
            f"Queryables of {layer.title}", html.table(["name", "type", "description"], rows)
        )
    return JSONResponse(doc, media_type=documents.SCHEMA_JSON)


def _page_url(request: Request, offset: int) -> str:
    return str(request.url.include_query_params(offset=offset))


@_both("/collections/{collection_id}/items", "Features of a collection")
def items(
    request: Request,
    collection_id: str,
    session: StreamSessionDep,
    scope: ScopeDep,
    params: ItemsDep,
    log: AccessLogDep,
) -> Response:
    ctx = scope.context(params.run)
    layer = scope.registry.find(session, ctx, collection_id)
    features = Features(session, layer, ctx)
    simple = [Compare(name, "=", value) for name, value in params.properties.items()]
    for name, compare in zip(params.properties, simple, strict=True):
        try:
            features.validate(FeatureQuery(filter=compare))
        except InvalidQuery as exc:  # in OGC API the parameter at fault is the property
            raise InvalidQuery(exc.message, name) from exc
    query = FeatureQuery(
        filter=all_of(params.bbox, *simple),
        limit=params.limit,
        offset=params.offset,
        crs=params.crs.crs,
        northing_first=params.crs.northing_first,
    )
    features.validate(query)
    matched = features.count(query)
    returned = query.returned(matched)
    box = params.envelope
    log.read(layer, "ogc", returned, features.bbox_of(box) if box and layer.restricted else None)
    links = _items_links(request, scope, layer, params, matched, returned)
    if params.html:
        return _items_html(features, query, layer, links, matched)
    head = {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": returned,
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": links,
    }
    return StreamingResponse(
        feature_collection(head, features.geojson(query)),
        media_type=GEOJSON,
        headers=_content_crs(params),
    )


def _content_crs(params: ItemsParams) -> dict[str, str]:
    return {"Content-Crs": f"<{crs_uri(params.crs.crs, params.crs.form == CrsForm.CRS84)}>"}


def _items_links(
    request: Request,
    scope: LayerScope,
    layer: Layer,
    params: ItemsParams,
    matched: int,
    returned: int,
) -> list[dict]:
    links = [
        documents.link("self", GEOJSON, str(request.url), "this page"),
        documents.link("alternate", HTML, str(request.url.include_query_params(f="html"))),
        documents.link(
            "collection", "application/json", f"{_base(request, scope)}/collections/{layer.name}"
        ),
    ]
    if params.offset + returned < matched:
        links.append(
            documents.link(
                "next", GEOJSON, _page_url(request, params.offset + params.limit), "next page"
            )
        )
    if params.offset > 0:
        previous = max(0, params.offset - params.limit)
        links.append(documents.link("prev", GEOJSON, _page_url(request, previous), "previous page"))
    return links


def _items_html(
    features: Features, query: FeatureQuery, layer: Layer, links: list[dict], matched: int
) -> Response:
    names = [f.name for f in features.fields]
    rows = [row for batch in features.records(query, geometry=None) for row in batch]
    nav = [x for x in links if x["rel"] in ("next", "prev", "collection")]
    match = f"{counted(matched, 'feature')} {'matches' if matched == 1 else 'match'}"
    body = f"<p>{match}.</p>" + html.table(names, rows) + html.links(nav)
    return html.page(layer.title, body)


@_both("/collections/{collection_id}/items/{feature_id}", "One feature")
def item(
    request: Request,
    collection_id: str,
    feature_id: str,
    session: StreamSessionDep,
    scope: ScopeDep,
    params: ItemsDep,
    log: AccessLogDep,
) -> Response:
    ctx = scope.context(params.run)
    layer = scope.registry.find(session, ctx, collection_id)
    features = Features(session, layer, ctx)
    query = FeatureQuery(
        filter=ResourceIds((feature_id,)),
        limit=1,
        crs=params.crs.crs,
        northing_first=params.crs.northing_first,
    )
    texts = [text for batch in features.geojson(query) for text in batch]
    if not texts:
        raise NotFound(f"feature {feature_id} does not exist in {collection_id}")
    log.read(layer, "ogc", 1)
    collection_url = f"{_base(request, scope)}/collections/{layer.name}"
    links = [
        documents.link("self", GEOJSON, str(request.url), "this feature"),
        documents.link("alternate", HTML, str(request.url.include_query_params(f="html"))),
        documents.link("collection", "application/json", collection_url, "the collection"),
    ]
    if params.html:
        props = json.loads(texts[0])["properties"]
        body = html.table(["property", "value"], props.items()) + html.links(links)
        return html.page(f"{layer.title}: {feature_id}", body)
    text = texts[0][:-1] + ',"links":' + json.dumps(links) + "}"
    return Response(text, media_type=GEOJSON, headers=_content_crs(params))
