"""Tables of the reference geography with geometry: the comuni and the unit boundaries.

Apart from app.geo.reference.models so that only what reads them imports GeoAlchemy2 (issue 15).
"""

from __future__ import annotations

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Identity,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.geo.reference.models import ComuniVintage  # noqa: F401  (the table their keys name)


class Comune(Base):
    """A comune as it was in one boundary vintage."""

    __tablename__ = "comuni"
    __table_args__ = (UniqueConstraint("vintage", "code"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    vintage: Mapped[int] = mapped_column(
        SmallInteger, ForeignKey("comuni_vintages.vintage", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(6))
    name: Mapped[str] = mapped_column(Text)
    # Lower case without accents, so that "forli" finds "Forlì".
    name_folded: Mapped[str] = mapped_column(Text)
    province_code: Mapped[str] = mapped_column(String(3))
    province_name: Mapped[str] = mapped_column(Text)
    province_acronym: Mapped[str | None] = mapped_column(String(2))
    region_code: Mapped[str] = mapped_column(String(2))
    region_name: Mapped[str] = mapped_column(Text)
    ripartizione_code: Mapped[int] = mapped_column(SmallInteger)
    ripartizione: Mapped[str] = mapped_column(Text)
    population_2011: Mapped[int | None] = mapped_column(Integer)
    area_km2: Mapped[float] = mapped_column(Float)
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True)
    )


class UnitBoundary(Base):
    """The boundary of a province, region, ripartizione or Italy, dissolved from its comuni."""

    __tablename__ = "unit_boundaries"
    __table_args__ = (PrimaryKeyConstraint("vintage", "level", "code"),)

    vintage: Mapped[int] = mapped_column(
        SmallInteger, ForeignKey("comuni_vintages.vintage", ondelete="CASCADE")
    )
    level: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(Text)
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True)
    )
