"""Tables of case-area runs: every selection is kept, with its inputs and trace.

Its areas, which have geometry, are in area_models: listing runs does without GeoAlchemy2.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
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
