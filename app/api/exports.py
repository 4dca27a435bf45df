"""Exports of whole layers (GeoPackage, CSV, GeoJSON) at /exports and /surveys/{code}/exports."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.background import BackgroundTask
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse

from app.api.deps import SURVEY_CODE_PARAMETER, RunQuery, StreamSessionDep
from app.api.layer_deps import AccessLogDep, LayerRoute, ScopeDep
from app.errors import InvalidQuery, UnknownCrs
from app.geo.layers import export
from app.geo.layers.crs import WGS84, parse_crs
from app.geo.layers.features import FeatureQuery, Features

router = APIRouter(tags=["exports"], route_class=LayerRoute)


def _both(path: str, summary: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        router.get("/exports" + path, summary=summary, response_class=Response)(handler)
        router.get(
            "/surveys/{code}/exports" + path,
            summary=summary,
            response_class=Response,
            openapi_extra=SURVEY_CODE_PARAMETER,
        )(handler)
        return handler

    return decorate


@_both("", "The layers that can be exported, and their files")
def index(request: Request, session: StreamSessionDep, scope: ScopeDep) -> Response:
    base = f"{str(request.base_url).rstrip('/')}{scope.base}/exports"
    return JSONResponse(
        {
            "layers": [
                {
                    "name": layer.name,
                    "title": layer.title,
                    "files": {ext: f"{base}/{layer.name}.{ext}" for ext in export.FORMATS},
                }
                for layer in scope.layers(session)
            ]
        }
    )


@_both("/{layer}.{ext}", "Export one layer as GeoPackage, CSV (WKT geometry) or GeoJSON")
def export_layer(
    layer: str,
    ext: Literal["gpkg", "csv", "geojson"],
    session: StreamSessionDep,
    scope: ScopeDep,
    log: AccessLogDep,
    crs: Annotated[
        str | None, Query(description="Output CRS, e.g. EPSG:3035 (default EPSG:4326).")
    ] = None,
    run: RunQuery = None,
) -> Response:
    ctx = scope.context(run)
    found = scope.registry.find(session, ctx, layer)
    try:
        output = parse_crs(crs).crs if crs else WGS84
    except UnknownCrs as exc:
        raise InvalidQuery(exc.message, "crs") from exc
    features = Features(session, found, ctx)
    query = FeatureQuery(crs=output)
    log.read(found, "export", features.count(query))
    headers = {"Content-Disposition": f'attachment; filename="{found.name}.{ext}"'}
    if ext == "csv":
        rows = export.csv_rows(features, query)
        return StreamingResponse(rows, media_type=export.FORMATS[ext], headers=headers)
    if ext == "geojson":
        body = export.geojson(features, query)
        return StreamingResponse(body, media_type=export.FORMATS[ext], headers=headers)
    folder = tempfile.mkdtemp(prefix="incas-export-")
    path = Path(folder) / f"{found.name}.gpkg"
    try:
        export.write_gpkg(features, query, path)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        path,
        media_type=export.FORMATS[ext],
        filename=path.name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )
