"""One table from domain errors to HTTP statuses, and one JSON shape for every REST error."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from app import errors
from app.api.middleware import request_id
from app.api.wfs import kvp
from app.api.wfs.exceptions import OwsException, exception_report
from app.errors import DomainError, Problem
from app.settings import server_settings

log = logging.getLogger("incas.api")

STATUS: dict[type[DomainError], int] = {
    errors.NotFound: 404,
    errors.ValidationFailed: 422,
    errors.Conflict: 409,
    errors.NotAuthenticated: 401,
    errors.Forbidden: 403,
    errors.PreconditionFailed: 412,
    errors.PreconditionRequired: 428,
    errors.TooManyAttempts: 429,
    errors.PayloadTooLarge: 413,
    errors.LoadError: 422,
    errors.InvalidQuery: 400,
    errors.UnknownCrs: 400,
}

HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
}


def error_body(code: str, message: str, details: Sequence[Problem] = (), **extra) -> dict:
    """Return the one shape every REST error has."""
    body: dict = {"code": code, "message": message, **extra}
    body["details"] = [{"path": p.path, "message": p.message} for p in details]
    return {"error": body}


def json_path(loc: Sequence[str | int]) -> str:
    """Turn a pydantic location into a JSON path: ("a", 2, "b") -> "a[2].b"."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path


def status_of(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def domain_error_response(exc: DomainError) -> JSONResponse:
    """Answer a domain error with its status and the REST error shape."""
    headers = {}
    if isinstance(exc, errors.NotAuthenticated):
        headers["WWW-Authenticate"] = 'Bearer, Basic realm="incas-census"'
    if "retry_after" in exc.extra:
        headers["Retry-After"] = str(exc.extra["retry_after"])
    # Extra facts a client can act on travel with the error, e.g. where to PUT instead.
    extra = {k: v for k, v in exc.extra.items() if k in ("pointer", "current_etag")}
    return JSONResponse(
        error_body(exc.code, exc.message, exc.details, **extra),
        status_code=status_of(exc),
        headers=headers,
    )


async def _domain(request: Request, exc: DomainError) -> JSONResponse:
    log.info("%s %s -> %s %s", request.method, request.url.path, status_of(exc), exc.code)
    return domain_error_response(exc)


async def _request_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for err in exc.errors():
        loc = list(err.get("loc", ()))
        # The body is the document itself; query and path names are the parameter.
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:]
        problems.append(Problem(json_path(loc) or "$", err.get("msg", "invalid")))
    n = len(problems)
    return JSONResponse(
        error_body(
            "validation_failed", f"{n} problem{'s' if n != 1 else ''} in the request", problems
        ),
        status_code=422,
    )


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code
    return JSONResponse(
        error_body(code, message), status_code=exc.status_code, headers=exc.headers or None
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception(
        "unhandled error on %s %s (request %s)", request.method, request.url.path, request_id.get()
    )
    return JSONResponse(error_body("internal_error", "internal server error"), status_code=500)


# Which door a path belongs to, for answering in its own error format.
DOOR = re.compile(r"^(?:/surveys/[^/]+)?/(wfs|ogc)(?:/|$)")
UNAVAILABLE = "the database is unavailable; retry later"


def database_unavailable(exc: Exception) -> bool:
    """Say whether an error means the database is away or busy, not that a request is wrong."""
    # OperationalError covers refused connections, a server shutting down or starting up, and
    # transient conflicts (deadlocks, cancelled statements): all worth a retry.
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def unavailable_response(request: Request) -> Response:
    """Answer 503 with Retry-After, in the error format of the door that was asked."""
    retry = str(server_settings().retry_after_seconds)
    door = DOOR.match(request.url.path)
    response: Response
    if door and door.group(1) == "wfs":
        version = kvp.version_of(dict(request.query_params))
        response = exception_report(OwsException("NoApplicableCode", UNAVAILABLE), version)
        response.status_code = 503
    elif door:  # OGC API: its JSON exception, which is also an RFC 7807 problem
        body = {
            "type": "about:blank",
            "title": "Service Unavailable",
            "status": 503,
            "detail": UNAVAILABLE,
            "code": "ServiceUnavailable",
            "description": UNAVAILABLE,
        }
        response = JSONResponse(body, status_code=503, media_type="application/problem+json")
    else:
        response = JSONResponse(error_body("database_unavailable", UNAVAILABLE), status_code=503)
    response.headers["Retry-After"] = retry
    return response


async def _database(request: Request, exc: Exception) -> Response:
    if not database_unavailable(exc):
        return await _unexpected(request, exc)
    log.warning(
        "database unavailable on %s %s (request %s): %s",
        request.method, request.url.path, request_id.get(), type(exc.__cause__ or exc).__name__,
    )  # fmt: skip
    return unavailable_response(request)


async def _gone(request: Request, exc: ClientDisconnect) -> Response:
    # The client hung up before its body arrived: nobody is left to answer, nothing was done.
    return Response(status_code=499)


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""
    app.add_exception_handler(DomainError, _domain)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _request_validation)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(ClientDisconnect, _gone)  # type: ignore[arg-type]
    app.add_exception_handler(DBAPIError, _database)
    app.add_exception_handler(PoolTimeout, _database)
    app.add_exception_handler(Exception, _unexpected)
