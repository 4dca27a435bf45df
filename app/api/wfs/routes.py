"""The WFS endpoints: one route per scope, errors as exception reports."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from app.api.deps import StreamSessionDep
from app.api.layer_deps import AccessLogDep, LayerRoute, ScopeDep
from app.api.wfs import kvp, xml_request
from app.api.wfs.exceptions import OwsException, exception_report
from app.api.wfs.operations import dispatch

router = APIRouter(tags=["wfs"], route_class=LayerRoute)


async def request_body(request: Request) -> bytes:
    """Read a POSTed body, stopping once it is too large to be a WFS request."""
    if request.method != "POST":
        return b""
    chunks, size = [], 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > xml_request.MAX_BODY:
            break  # parse_xml refuses it
    return b"".join(chunks)


BodyDep = Annotated[bytes, Depends(request_body)]

SUMMARY = "WFS 2.0.0 / 1.1.0: GetCapabilities, DescribeFeatureType, GetFeature (KVP or XML)"


def wfs(
    request: Request, body: BodyDep, session: StreamSessionDep, scope: ScopeDep, log: AccessLogDep
) -> Response:
    """Answer one WFS request, KVP in the query string or XML (or form KVP) in the body."""
    params = dict(request.query_params)
    form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    if body and form:
        params |= dict(parse_qsl(body.decode("utf-8", "replace")))
        body = b""
    version = xml_request.version_of(body) if body else kvp.version_of(params)
    url = f"{str(request.base_url).rstrip('/')}{scope.base}/wfs"
    try:
        if body:
            parsed = xml_request.parse_body(body, kvp.run_of(params))
        else:
            parsed = kvp.parse_kvp(params)
        version = parsed.version
        return dispatch(session, scope, parsed, url, None if body else params, log)
    except OwsException as exc:
        return exception_report(exc, version)


for _path, _name in (("/wfs", "wfs"), ("/surveys/{code}/wfs", "survey_wfs")):
    for _method in ("GET", "POST"):
        router.add_api_route(
            _path,
            wfs,
            methods=[_method],
            summary=SUMMARY,
            response_class=Response,
            operation_id=f"{_name}_{_method.lower()}",
        )
