"""Tables of the reference geography."""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
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


class AccessLog(Base):
    """One read or export of a restricted layer, for the data protection officer."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
    token_id: Mapped[int | None] = mapped_column(BigInteger)
    token_label: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    door: Mapped[str] = mapped_column(String(16))  # wfs, ogc, tiles, export, rest
    survey_code: Mapped[str | None] = mapped_column(String(63))
    layer: Mapped[str] = mapped_column(Text, index=True)
    bbox: Mapped[str | None] = mapped_column(Text)  # minx,miny,maxx,maxy in EPSG:4326
    count: Mapped[int | None] = mapped_column(Integer)
    client: Mapped[str | None] = mapped_column(Text)


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


class HotspotRun(Base):
    """A Gi* computation, kept for the data state it was computed on."""

    __tablename__ = "hotspot_runs"
    __table_args__ = (
        UniqueConstraint(
            "survey_id",
            "fingerprint",
            "indicator",
            "permutations",
            "seed",
            name="uq_hotspot_runs_key",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    survey_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("surveys.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(32))
    indicator: Mapped[str] = mapped_column(Text)
    permutations: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    items: Mapped[list[dict]] = mapped_column(JSONB)
    computed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
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


class PublishedIndicators(Base):
    """One state's indicator rows, as analysts and as the public see them, for the map layers.

    Written once per state of the data (its fingerprint), from the same rows the REST answers
    carry, so that SQL can join them to geometry and stream them on every door.
    """

    __tablename__ = "published_indicators"
    __table_args__ = (
        PrimaryKeyConstraint("survey_id", "fingerprint", "audience", "level", "code"),
    )

    survey_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("surveys.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(32))
    audience: Mapped[str] = mapped_column(String(8))  # public or analyst
    level: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(Text)
    values: Mapped[dict] = mapped_column(JSONB)
    suppressed_fields: Mapped[list[str]] = mapped_column(ARRAY(Text))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
