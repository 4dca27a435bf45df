"""Vector tiles (MVT, WebMercatorQuad) and their TileJSON, at /tiles and /surveys/{code}/tiles."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from app.api.deps import SURVEY_CODE_PARAMETER, RunQuery, StreamSessionDep
from app.api.layer_deps import AccessLogDep, LayerRoute, LayerScope, ScopeDep
from app.errors import NotFound
from app.geo.layers import mvt
from app.geo.layers.features import Features
from app.geo.layers.registry import Layer

router = APIRouter(tags=["tiles"], route_class=LayerRoute)
MVT = "application/vnd.mapbox-vector-tile"
JSON_TYPES = {"string": "String", "integer": "Number", "number": "Number", "boolean": "Boolean"}


def _both(path: str, summary: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        router.get("/tiles" + path, summary=summary, response_class=Response)(handler)
        router.get(
            "/surveys/{code}/tiles" + path,
            summary=summary,
            response_class=Response,
            openapi_extra=SURVEY_CODE_PARAMETER,
        )(handler)
        return handler

    return decorate


def _base(request: Request, scope: LayerScope) -> str:
    return f"{str(request.base_url).rstrip('/')}{scope.base}/tiles"


def tilejson(base: str, layer: Layer, fields: tuple, extent: tuple | None) -> dict:
    """Describe a layer's tiles as TileJSON 3.0."""
    bounds = list(extent) if extent else [-180.0, -85.0511, 180.0, 85.0511]
    doc = {
        "tilejson": "3.0.0",
        "name": layer.name,
        "description": layer.description,
        "scheme": "xyz",
        "tiles": [f"{base}/{layer.name}/{{z}}/{{x}}/{{y}}.mvt"],
        "minzoom": 0,
        "maxzoom": mvt.MAX_ZOOM,
        "bounds": bounds,
        "center": [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 6],
        "vector_layers": [
            {
                "id": layer.name,
                "description": layer.title,
                "minzoom": 0,
                "maxzoom": mvt.MAX_ZOOM,
                "fields": {f.name: JSON_TYPES.get(f.type, "String") for f in fields},
            }
        ],
    }
    return doc


@_both("", "The TileJSON documents of the layers")
def index(request: Request, session: StreamSessionDep, scope: ScopeDep) -> Response:
    base = _base(request, scope)
    layers = scope.layers(session)
    return JSONResponse(
        {
            "layers": [
                {"name": x.name, "title": x.title, "tilejson": f"{base}/{x.name}/tilejson.json"}
                for x in layers
            ]
        }
    )


@_both("/{layer}/tilejson.json", "TileJSON of one layer")
def layer_tilejson(
    request: Request, layer: str, session: StreamSessionDep, scope: ScopeDep
) -> Response:
    found = scope.find(session, layer)
    ctx = scope.context()
    extent = Features(session, found, ctx).extent()
    return JSONResponse(tilejson(_base(request, scope), found, found.fields_for(ctx), extent))


def _gzip_accepted(request: Request) -> bool:
    codings = request.headers.get("accept-encoding", "").lower().replace(" ", "").split(",")
    return any(c == "gzip" or (c.startswith("gzip;") and c != "gzip;q=0") for c in codings)


@_both("/{layer}/{z}/{x}/{y}.mvt", "One vector tile (MVT)")
def tile(
    request: Request,
    layer: str,
    z: int,
    x: int,
    y: int,
    session: StreamSessionDep,
    scope: ScopeDep,
    log: AccessLogDep,
    run: RunQuery = None,
) -> Response:
    ctx = scope.context(run)
    found = scope.registry.find(session, ctx, layer)
    if not mvt.tile_exists(z, x, y):
        raise NotFound(f"tile {z}/{x}/{y} does not exist")
    data, count = mvt.tile(session, found, ctx, z, x, y)
    log.read(found, "tiles", count, mvt.tile_bounds(z, x, y))
    headers = {"Vary": "Accept-Encoding"}
    # A national tile of comuni is half a megabyte of MVT and a third of that gzipped: the
    # atlas's first load depends on it. Clients that do not ask get the plain bytes.
    if len(data) > 1024 and _gzip_accepted(request):
        data = gzip.compress(data, compresslevel=5)
        headers["Content-Encoding"] = "gzip"
    return Response(data, media_type=MVT, headers=headers)
