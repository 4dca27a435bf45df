"""The table of a run's selected areas, with their union geometry.

Apart from app.geo.case_areas.models so that only what reads the areas imports GeoAlchemy2
(shapely, numpy); listing runs does without it (issue 15).
"""

from __future__ import annotations

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Identity,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.geo.case_areas.models import CaseAreaRun  # noqa: F401  (the table their key names)


class CaseArea(Base):
    """One selected area of a run, with its union geometry and its reasons."""

    __tablename__ = "case_areas"
    __table_args__ = (UniqueConstraint("run_id", "rank"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    run_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("case_area_runs.id", ondelete="CASCADE")
    )
    rank: Mapped[int] = mapped_column(SmallInteger)
    candidate: Mapped[str] = mapped_column(Text)  # the candidate's key in the trace
    comuni: Mapped[list[str]] = mapped_column(ARRAY(String(6)))
    name: Mapped[str] = mapped_column(Text)
    ripartizioni: Mapped[list[str]] = mapped_column(ARRAY(Text))
    score: Mapped[float] = mapped_column(Float)
    typology: Mapped[dict] = mapped_column(JSONB)
    indicators: Mapped[dict] = mapped_column(JSONB)
    # Each reason is {"text", "cites"}: what it says, and the trace values or constraints it
    # rests on. Public reasons cite only published (suppressed) figures.
    reasons: Mapped[list[dict]] = mapped_column(JSONB)
    public_reasons: Mapped[list[dict]] = mapped_column(JSONB)
    runner_up: Mapped[dict | None] = mapped_column(JSONB)
    geom: Mapped[WKBElement | None] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=False)
    )
