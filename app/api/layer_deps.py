"""Dependencies shared by the map-layer doors (WFS, OGC API Features, tiles, exports).

Each door is served twice: for the reference layers (`/wfs`) and for one survey wave
(`/surveys/{code}/wfs`). `LayerScope` says which, and `AccessLog` records every read of a
restricted layer, in a transaction that commits before the response starts streaming.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.api.auth import MaybePrincipal
from app.api.deps import SessionDep, StreamSessionDep
from app.census.models import Survey
from app.census.surveys import get_survey
from app.census.tokens import Principal
from app.geo.layers.access_log import record_access
from app.geo.layers.catalogue import REFERENCE, SURVEY
from app.geo.layers.registry import Layer, LayerContext, Registry


@dataclass(frozen=True)
class LayerScope:
    """Where a door's layers come from: the reference registry, or one survey wave's."""

    registry: Registry
    survey: Survey | None
    base: str  # the URL path before the door: "" or "/surveys/{code}"
    principal: Principal | None

    def context(self, run: int | None = None) -> LayerContext:
        return LayerContext(self.principal, self.survey, run)

    def layers(self, session: Session, run: int | None = None) -> list[Layer]:
        return self.registry.visible(session, self.context(run))

    def find(self, session: Session, name: str, run: int | None = None) -> Layer:
        return self.registry.find(session, self.context(run), name)


def layer_scope(
    request: Request, session: StreamSessionDep, principal: MaybePrincipal
) -> LayerScope:
    """Return the reference scope, or the survey wave's when the path names one."""
    code = request.path_params.get("code")
    if code is None:
        return LayerScope(REFERENCE, None, "", principal)
    return LayerScope(SURVEY, get_survey(session, code), f"/surveys/{code}", principal)


ScopeDep = Annotated[LayerScope, Depends(layer_scope)]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


@dataclass
class AccessLog:
    """Record reads of restricted layers for the data protection officer."""

    session: Session
    scope: LayerScope
    client: str | None

    def read(
        self,
        layer: Layer,
        door: str,
        count: int | None,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> None:
        """Record one read of `layer` if it is restricted (nothing otherwise)."""
        if not layer.restricted or self.scope.principal is None:
            return
        record_access(
            self.session,
            self.scope.principal,
            layer.name,
            door,
            self.scope.survey.code if self.scope.survey else None,
            bbox,
            count,
            self.client,
        )


def access_log(request: Request, session: SessionDep, scope: ScopeDep) -> AccessLog:
    # The function-scoped session commits when the handler returns, before any byte streams.
    return AccessLog(session, scope, client_address(request))


AccessLogDep = Annotated[AccessLog, Depends(access_log)]


class LayerRoute(APIRoute):
    """A route whose answers no cache may keep: they depend on the caller and on live data.

    QGIS caches capabilities and schemas by URL; without this, an analyst who opened a
    service anonymously first would go on seeing the anonymous layer list, and the reverse.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            response = await handler(request)
            response.headers["Cache-Control"] = "no-store"
            response.headers["Vary"] = "Authorization"
            return response

        return route
