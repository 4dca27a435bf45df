"""The OpenAPI document, with the response document's schema published beside the routes.

Every error answers one shape (`Error`); the document says so for every operation instead of
FastAPI's own validation-error schema, which this API never sends.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from app.census.questionnaire import Document


class ErrorDetail(BaseModel):
    path: str = Field(description="JSON path of the problem, or the parameter at fault.")
    message: str


class ErrorBody(BaseModel):
    code: str = Field(
        description="What went wrong, e.g. validation_failed, not_authenticated, forbidden, "
        "not_found, unknown_layer, invalid_query (a map-layer query parameter: unknown "
        "property, bad value, a case-area run the wave does not have), unknown_crs, "
        "response_exists, survey_closed."
    )
    message: str
    details: list[ErrorDetail] = Field(description="Every problem found; [] when none applies.")
    pointer: str | None = Field(None, description="Where to send a correction instead (409).")
    current_etag: str | None = Field(None, description="The current revision's ETag (412).")


class Error(BaseModel):
    """The one shape of every error the REST and OGC API doors answer."""

    error: ErrorBody


def _error(description: str) -> dict:
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {"description": description, "content": content}


INVALID_QUERY = (
    "invalid_query: a query parameter names an unknown property, holds a value its field "
    "cannot hold, or names a case-area run the wave does not have; `details` names it."
)


def _errors_declared(schema: dict) -> None:
    """Point every operation's errors at `Error`, and document OGC API's invalid_query."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "4XX" in responses:  # WFS: its own ExceptionReports
                continue
            responses["422"] = _error("validation_failed: every problem, each at its path.")
            responses["4XX"] = _error("Any other client error, in the same shape.")
            if "ogc-api-features" in operation.get("tags", ()):
                responses["400"] = _error(INVALID_QUERY)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    error = Error.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(error.pop("$defs", {}))
    components["Error"] = error


def install(app: FastAPI) -> None:
    """Publish the response document's schema; its endpoints read the raw body themselves."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes
            )
            doc = Document.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(doc.pop("$defs", {}))
            components["Document"] = doc
            _errors_declared(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
