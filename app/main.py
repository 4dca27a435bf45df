"""Assemble the app: lifespan, routers, middleware and exception handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from app import __version__
from app.api import (
    case_areas,
    comuni,
    errors,
    exports,
    health,
    hotspot_pins,
    indicators,
    ogc,
    openapi,
    responses,
    surveys,
    tiles,
    wfs,
)
from app.api.auth import optional_principal
from app.db import make_engine, session_factory


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
    for module in (health, comuni, surveys, responses, indicators, hotspot_pins, case_areas):
        app.include_router(module.router)
    for module in (wfs, ogc, tiles, exports):
        app.include_router(module.router)
    openapi.install(app)
    return app
