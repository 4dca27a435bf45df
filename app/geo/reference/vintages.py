"""Boundary vintages: which are loaded, which one a request means, and a loaded one's identity."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.geo.reference.models import ComuniVintage

# A vintage as loaded: the year and the time of its load. What is derived from the comuni of a
# vintage (weights, nesting, centroids) is kept under this key, so a reload starts afresh.
VintageKey = tuple[int, datetime]


def loaded_vintages(session: Session) -> dict[int, int]:
    """Return {vintage: number of comuni} for every loaded vintage."""
    rows = session.execute(
        select(ComuniVintage.vintage, ComuniVintage.comuni).order_by(ComuniVintage.vintage)
    )
    return dict(rows.all())  # type: ignore[arg-type]


def resolve_vintage(session: Session, vintage: int | None) -> int:
    """Return `vintage` if it is loaded, or the newest loaded one when it is None."""
    if vintage is None:
        newest = session.scalar(select(func.max(ComuniVintage.vintage)))
        if newest is None:
            raise NotFound("no comuni are loaded yet (run: incas comuni load-shipped)")
        return newest
    if session.get(ComuniVintage, vintage) is None:
        raise NotFound(f"vintage {vintage} is not loaded", vintage=vintage)
    return vintage


def vintage_key(session: Session, vintage: int) -> VintageKey:
    """Identify the comuni of a vintage as loaded: the vintage and the time of its load."""
    loaded_at = session.scalar(
        select(ComuniVintage.loaded_at).where(ComuniVintage.vintage == vintage)
    )
    if loaded_at is None:
        raise NotFound(f"vintage {vintage} is not loaded", vintage=vintage)
    return vintage, loaded_at
