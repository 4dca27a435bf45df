"""Look up comuni: by code, by name, by place."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.geo.reference.boundary_models import Comune
from app.geo.reference.istat import fold

# The attributes every answer about a comune carries, in this order.
FIELDS = (
    Comune.code, Comune.name, Comune.vintage, Comune.province_code, Comune.province_name,
    Comune.province_acronym, Comune.region_code, Comune.region_name, Comune.ripartizione_code,
    Comune.ripartizione, Comune.population_2011, Comune.area_km2,
)  # fmt: skip


@dataclass(frozen=True)
class ComuniFilter:
    """What a caller may narrow a list of comuni by."""

    vintage: int
    region: str | None = None
    province: str | None = None
    q: str | None = None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def in_region(region: str) -> ColumnElement[bool]:
    """Match comuni of a region given by code ("16") or name ("Puglia", any case)."""
    region = region.strip()
    if region.isdigit():
        return Comune.region_code == region.zfill(2)
    return func.lower(Comune.region_name) == region.lower()


def in_province(province: str) -> ColumnElement[bool]:
    """Match comuni of a province given by code ("071"), acronym ("FG") or name."""
    province = province.strip()
    if province.isdigit():
        return Comune.province_code == province.zfill(3)
    return or_(
        Comune.province_acronym == province.upper(),
        func.lower(Comune.province_name) == province.lower(),
    )


def _filtered(stmt: Select, flt: ComuniFilter) -> Select:
    stmt = stmt.where(Comune.vintage == flt.vintage)
    if flt.region:
        stmt = stmt.where(in_region(flt.region))
    if flt.province:
        stmt = stmt.where(in_province(flt.province))
    if flt.q:
        stmt = stmt.where(
            Comune.name_folded.like("%" + _escape_like(fold(flt.q.strip())) + "%", escape="\\")
        )
    return stmt


def list_comuni(
    session: Session, flt: ComuniFilter, limit: int, offset: int
) -> tuple[list[dict], int]:
    """Return one page of comuni matching the filter, and how many match in all."""
    total = session.scalar(_filtered(select(func.count()).select_from(Comune), flt)) or 0
    stmt = _filtered(select(*FIELDS), flt)
    if flt.q:
        # Exact names first, then names that start with the query, then the rest.
        folded = fold(flt.q.strip())
        rank = case(
            (Comune.name_folded == folded, 0),
            (Comune.name_folded.startswith(folded, autoescape=True), 1),
            else_=2,
        )
        stmt = stmt.order_by(rank, Comune.name, Comune.code)
    else:
        stmt = stmt.order_by(Comune.code)
    rows = session.execute(stmt.limit(limit).offset(offset)).mappings().all()
    return [dict(r) for r in rows], total


def get_comune(session: Session, vintage: int, code: str) -> dict:
    """Return one comune's attributes, or raise NotFound naming the code."""
    row = (
        session.execute(select(*FIELDS).where(Comune.vintage == vintage, Comune.code == code))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"comune {code} does not exist in vintage {vintage}", code=code)
    return dict(row)


def get_comune_feature(session: Session, vintage: int, code: str) -> dict:
    """Return one comune as a GeoJSON Feature, its geometry written by PostGIS."""
    props = get_comune(session, vintage, code)
    geometry = session.scalar(
        select(func.ST_AsGeoJSON(Comune.geom, 6)).where(
            Comune.vintage == vintage, Comune.code == code
        )
    )
    return {"type": "Feature", "id": code, "geometry": json.loads(geometry or "null"),
            "properties": props}  # fmt: skip


def comune_at(session: Session, vintage: int, lon: float, lat: float) -> dict:
    """Return the comune whose boundary contains the point, or raise NotFound."""
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    row = (
        session.execute(
            select(*FIELDS)
            .where(Comune.vintage == vintage, func.ST_Intersects(Comune.geom, point))
            .order_by(Comune.code)
            .limit(1)
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no comune of vintage {vintage} contains lon {lon}, lat {lat}")
    return dict(row)
