"""The health check."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.geo.reference.vintages import loaded_vintages

router = APIRouter(tags=["health"])


@router.get("/health", summary="Database, PostGIS version and loaded vintages")
def health(request: Request) -> JSONResponse:
    try:
        with request.app.state.sessions() as session:
            postgis = session.scalar(text("select postgis_full_version()"))
            vintages = loaded_vintages(session)
    except SQLAlchemyError as exc:
        return JSONResponse(
            {"status": "error", "database": "unreachable", "detail": type(exc).__name__},
            status_code=503,
        )
    return JSONResponse(
        {
            "status": "ok",
            "database": "ok",
            "postgis": postgis.split('"')[1] if postgis and '"' in postgis else postgis,
            "vintages": [{"vintage": v, "comuni": n} for v, n in vintages.items()],
        }
    )
