"""Assemble the app: lifespan, routers, middleware and exception handlers."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app import __version__
from app.api import (
    case_areas,
    comuni,
    errors,
    exports,
    health,
    hotspot_pins,
    indicators,
    me,
    nonresponse,
    ogc,
    openapi,
    responses,
    surveys,
    tiles,
)
from app.api.auth import optional_principal
from app.api.cache_headers import PrivateAnswers
from app.api.middleware import RequestContext, configure_logging
from app.api.request_text import refuse_unusable_text
from app.api.warmup import warm_up
from app.api.wfs import routes as wfs
from app.db import make_engine, session_factory
from app.settings import server_settings
from app.web import pages


def create_app(database_url: str | None = None) -> FastAPI:
    """Build the application; `database_url` overrides the settings (tests use it)."""

    settings = server_settings()
    configure_logging()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        engine = make_engine(database_url)
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        if settings.warm_up:
            await anyio.to_thread.run_sync(warm_up, engine)
        # What start-up built (modules, caches) lives as long as the worker: frozen, the
        # collector stops re-scanning it, whose full passes showed in the tail latency.
        gc.collect()
        gc.freeze()
        yield
        engine.dispose()

    app = FastAPI(
        # A credential that is presented must be valid, on every door: a stale token answers
        # 401 instead of silently falling back to the public view.
        dependencies=[Depends(refuse_unusable_text), Depends(optional_principal)],
        title="incas-census",
        version=__version__,
        summary="National census of where foreign agri-food workers live.",
        lifespan=lifespan,
        # /docs and /redoc are pages of ours (app/web), with Swagger UI and ReDoc from npm.
        docs_url=None,
        redoc_url=None,
    )
    errors.install(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "X-Request-ID"],
            expose_headers=["ETag", "Location", "Retry-After", "X-Request-ID"],
            max_age=600,
        )
    app.add_middleware(PrivateAnswers)
    app.add_middleware(RequestContext)  # outermost: every answer gets its id and headers
    for module in (
        health,
        comuni,
        surveys,
        responses,
        indicators,
        nonresponse,
        hotspot_pins,
        case_areas,
        me,
    ):
        app.include_router(module.router)
    for module in (wfs, ogc, tiles, exports):
        app.include_router(module.router)
    app.include_router(pages.router)
    openapi.install(app)
    return app
