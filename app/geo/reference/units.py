"""Boundaries of provinces, regions, ripartizioni and Italy, dissolved once per vintage."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.orm import Session

from app.geo.reference.boundary_models import Comune, UnitBoundary

COLUMNS = ("vintage", "level", "code", "name", "geom")


def _dissolved(geom: Any) -> ColumnElement[Any]:
    return func.ST_Multi(func.ST_CollectionExtract(func.ST_Union(geom), 3))


def _provinces(vintage: int) -> Select:
    c = Comune
    return (
        select(c.vintage, literal("province"), c.province_code, func.min(c.province_name),
               _dissolved(c.geom))
        .where(c.vintage == vintage)
        .group_by(c.vintage, c.province_code)
    )  # fmt: skip


def _up(vintage: int, level: str, below: str, child: str, key: Any, name: Any) -> Select:
    """Dissolve the units of level `below` into their parents, named by `key` and `name`."""
    parents = (
        select(getattr(Comune, child).label("child"), key.label("key"), name.label("name"))
        .where(Comune.vintage == vintage)
        .distinct()
        .subquery("parents")
    )
    u = UnitBoundary
    return (
        select(u.vintage, literal(level), parents.c.key, func.min(parents.c.name),
               _dissolved(u.geom))
        .join(parents, parents.c.child == u.code)
        .where(u.vintage == vintage, u.level == below)
        .group_by(u.vintage, parents.c.key)
    )  # fmt: skip


def _italy(vintage: int) -> Select:
    u = UnitBoundary
    return (
        select(u.vintage, literal("italy"), literal("IT"), literal("Italia"), _dissolved(u.geom))
        .where(u.vintage == vintage, u.level == "ripartizione")
        .group_by(u.vintage)
    )


def build_unit_boundaries(session: Session, vintage: int) -> None:
    """(Re)build the boundaries of every level above the comune for a vintage.

    Each level is dissolved from the one below it, so that no union starts again from the
    full-resolution comuni: provinces from comuni, regions from provinces, and so on.
    """
    c = Comune
    session.execute(delete(UnitBoundary).where(UnitBoundary.vintage == vintage))
    levels = [
        _provinces(vintage),
        _up(vintage, "region", "province", "province_code", c.region_code, c.region_name),
        _up(vintage, "ripartizione", "region", "region_code",
            cast(c.ripartizione_code, String), c.ripartizione),
        _italy(vintage),
    ]  # fmt: skip
    for level in levels:
        session.execute(insert(UnitBoundary).from_select(COLUMNS, level))
    session.execute(text("analyze unit_boundaries"))
