"""Run a parsed WFS request against a layer scope."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.responses import Response

from app.api.layer_deps import AccessLog, LayerScope
from app.api.wfs import capabilities, describe
from app.api.wfs.exceptions import invalid
from app.api.wfs.getfeature import find_layer, get_feature
from app.api.wfs.model import (
    GML_FORMATS,
    DescribeFeatureType,
    GetCapabilities,
    GetFeature,
    WfsRequest,
)
from app.geo.layers.features import Features


def dispatch(
    session: Session,
    scope: LayerScope,
    request: WfsRequest,
    url: str,
    params: dict[str, str] | None,
    log: AccessLog,
) -> Response:
    """Answer one WFS request."""
    if isinstance(request, GetCapabilities):
        return get_capabilities(session, scope, request, url)
    if isinstance(request, DescribeFeatureType):
        return describe_feature_type(session, scope, request)
    return get_feature(session, scope, request, url, params, log)


def get_capabilities(
    session: Session, scope: LayerScope, request: GetCapabilities, url: str
) -> Response:
    ctx = scope.context()
    offerings = [
        capabilities.Offering(layer, Features(session, layer, ctx).extent())
        for layer in scope.registry.visible(session, ctx)
    ]
    title = "incas-census: " + (
        f"survey {scope.survey.code}" if scope.survey else "reference layers"
    )
    body = capabilities.capabilities(request.version, url, title, offerings)
    return Response(body, media_type="application/xml")


def describe_feature_type(
    session: Session, scope: LayerScope, request: DescribeFeatureType
) -> Response:
    if request.output_format and request.output_format.replace(" ", "").lower() not in {
        f.replace(" ", "").lower() for f in GML_FORMATS[request.version]
    } | {"text/xml;subtype=gml/3.1.1", "xmlschema", "text/xml"}:
        raise invalid("outputFormat", f"output format {request.output_format} is not offered")
    ctx = scope.context()
    if request.type_names:
        layers = [find_layer(session, scope, ctx, name) for name in request.type_names]
    else:
        layers = scope.registry.visible(session, ctx)
    fields = {layer.name: layer.fields_for(ctx) for layer in layers}
    body = describe.schema(request.version, layers, fields)
    return Response(body, media_type=GML_FORMATS[request.version][0])


__all__ = ["dispatch", "GetFeature"]
