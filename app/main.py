"""Assemble the app: lifespan, routers, middleware and exception handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi

from app import __version__
from app.api import (
    case_areas,
    comuni,
    errors,
    exports,
    health,
    indicators,
    nonresponse,
    ogc,
    responses,
    surveys,
    tiles,
    wfs,
)
from app.api.auth import optional_principal
from app.census.questionnaire import Document
from app.db import make_engine, session_factory
from app.geo import indicator_layers, survey_layers  # noqa: F401  (they register layers)


def document_schema(app: FastAPI) -> None:
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
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(database_url: str | None = None) -> FastAPI:
    """Build the application; `database_url` overrides the settings (tests use it)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(database_url)
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        yield
        engine.dispose()

    app = FastAPI(
        # A credential that is presented must be valid, on every door: a stale token answers
        # 401 instead of silently falling back to the public view.
        dependencies=[Depends(optional_principal)],
        title="incas-census",
        version=__version__,
        summary="National census of where foreign agri-food workers live.",
        lifespan=lifespan,
    )
    errors.install(app)
    for module in (health, comuni, surveys, responses, indicators, nonresponse, case_areas):
        app.include_router(module.router)
    for module in (wfs, ogc, tiles, exports):
        app.include_router(module.router)
    document_schema(app)
    return app
