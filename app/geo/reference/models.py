"""Tables of the reference geography without geometry: vintages and contiguity.

The comuni and the unit boundaries are in boundary_models: they import GeoAlchemy2 (shapely,
numpy), which commands that only list vintages, waves or tokens do without (issue 15).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class ComuniVintage(Base):
    """One loaded boundary vintage, with where it came from."""

    __tablename__ = "comuni_vintages"

    vintage: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(Text)
    layout: Mapped[str] = mapped_column(Text)
    comuni: Mapped[int] = mapped_column(Integer)
    repaired: Mapped[int] = mapped_column(Integer)
    without_attributes: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ComuneNeighbour(Base):
    """Queen contiguity of a vintage, built once in PostGIS; islands borrow their nearest comune."""

    __tablename__ = "comune_neighbours"
    __table_args__ = (
        CheckConstraint("kind in ('queen', 'nearest')", name="kind"),
        PrimaryKeyConstraint("vintage", "code", "neighbour"),
    )

    vintage: Mapped[int] = mapped_column(
        SmallInteger, ForeignKey("comuni_vintages.vintage", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(6))
    neighbour: Mapped[str] = mapped_column(String(6))
    kind: Mapped[str] = mapped_column(String(8))
