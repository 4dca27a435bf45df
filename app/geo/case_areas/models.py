"""Tables of case-area runs: every selection is kept, with its inputs, trace and areas."""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class CaseAreaRun(Base):
    """One selection of case areas: parameters, input data state, who ran it, and the trace."""

    __tablename__ = "case_area_runs"
    __table_args__ = (
        # At most one published run per survey; publishing another unpublishes the first.
        Index(
            "uq_case_area_runs_published",
            "survey_id",
            unique=True,
            postgresql_where=text("published_at is not null"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("surveys.id", ondelete="CASCADE"), index=True
    )
    parameters: Mapped[dict] = mapped_column(JSONB)
    # md5 over comune:etag of every current response, as hot spots are keyed ...
    fingerprint: Mapped[str] = mapped_column(String(32))
    # ... and the revision rows themselves, so that a run can be traced to the exact documents.
    revision_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    created_by: Mapped[str] = mapped_column(Text)
    token_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    solver: Mapped[str] = mapped_column(String(16))
    constraints_met: Mapped[bool] = mapped_column(Boolean)
    constraints: Mapped[dict] = mapped_column(JSONB)
    trace: Mapped[dict] = mapped_column(JSONB)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(Text)


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
