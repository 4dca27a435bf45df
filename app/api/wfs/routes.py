"""The WFS endpoints: one route per scope, errors as exception reports."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from app.api.deps import SURVEY_CODE_PARAMETER, StreamSessionDep
from app.api.layer_deps import AccessLogDep, ScopeDep
from app.api.request_text import form_problems
from app.api.wfs import kvp, xml_request
from app.api.wfs.exceptions import OwsException, exception_report, invalid
from app.api.wfs.operations import dispatch
from app.api.wfs.route import WfsRoute

router = APIRouter(tags=["wfs"], route_class=WfsRoute)


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
# The KVP parameters, declared for clients and checkers; names are case-insensitive.
KVP = (
    "SERVICE", "REQUEST", "VERSION", "ACCEPTVERSIONS", "TYPENAMES", "TYPENAME", "PROPERTYNAME",
    "SORTBY", "FILTER", "FILTER_LANGUAGE", "BBOX", "RESOURCEID", "FEATUREID", "COUNT",
    "MAXFEATURES", "STARTINDEX", "RESULTTYPE", "SRSNAME", "OUTPUTFORMAT", "STOREDQUERY_ID",
    "RUN",
)  # fmt: skip
ERRORS = {
    "4XX": {
        "description": "An OWS ExceptionReport in the version asked for (2.0.0 if none).",
        "content": {"application/xml": {}},
    }
}


def openapi_extra(survey: bool, kvp_in_query: bool) -> dict:
    """Declare the wave's code (survey routes) and the KVP parameters (GET) of a WFS route."""
    parameters = list(SURVEY_CODE_PARAMETER["parameters"]) if survey else []
    if kvp_in_query:
        parameters += [
            {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
            for name in KVP
        ]
    return {"parameters": parameters, "responses": ERRORS}


def wfs(
    request: Request, body: BodyDep, session: StreamSessionDep, scope: ScopeDep, log: AccessLogDep
) -> Response:
    """Answer one WFS request, KVP in the query string or XML (or form KVP) in the body."""
    params = dict(request.query_params)
    form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    if body and form:
        if found := form_problems(body):
            name, message = found[0]
            return exception_report(invalid(name, f"{name} {message}"), kvp.version_of(params))
        params |= dict(parse_qsl(body.decode("utf-8")))
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
            openapi_extra=openapi_extra(_name == "survey_wfs", _method == "GET"),
        )
