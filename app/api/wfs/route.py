"""The WFS door's route: whatever goes wrong, before or inside the handler, is an ExceptionReport.

Errors raised by dependencies (an unknown wave, a bad credential, a NUL in a parameter) would
otherwise answer the REST error's JSON, which no WFS client reads.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.responses import Response

from app.api.errors import domain_error_response
from app.api.layer_deps import LayerRoute
from app.api.wfs import kvp
from app.api.wfs.exceptions import OwsException, exception_report
from app.errors import DomainError, InvalidQuery, NotFound

# The OWS exception code of a REST status; the status and its headers are kept as they are.
OWS_CODES = {400: "InvalidParameterValue", 404: "NotFound", 422: "InvalidParameterValue"}
KEPT_HEADERS = ("www-authenticate", "retry-after")


def ows_exception(exc: DomainError | RequestValidationError) -> OwsException:
    """Say a REST error the way a WFS says errors."""
    if isinstance(exc, RequestValidationError):
        errors = exc.errors()
        locator = str(errors[0]["loc"][-1]) if errors and errors[0].get("loc") else ""
        message = "; ".join(f"{e['loc'][-1]} {e['msg']}" for e in errors if e.get("loc"))
        return OwsException("InvalidParameterValue", message or "invalid request", locator)
    answer = domain_error_response(exc)
    headers = {k: v for k, v in answer.headers.items() if k.lower() in KEPT_HEADERS}
    status = answer.status_code
    code = OWS_CODES.get(status, "NoApplicableCode")
    locator = exc.locator if isinstance(exc, InvalidQuery) else ""
    if isinstance(exc, NotFound) and status == 404 and not locator:
        locator = str(exc.extra.get("code", ""))
    return OwsException(code, exc.message, locator, status=status, headers=headers)


class WfsRoute(LayerRoute):
    """A LayerRoute whose every error is an OWS ExceptionReport in the client's WFS version."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except (DomainError, RequestValidationError) as exc:
                answer = exception_report(ows_exception(exc), kvp.version_of(request.query_params))
                answer.headers["Cache-Control"] = "no-store"
                answer.headers["Vary"] = "Authorization"
                return answer

        return route
