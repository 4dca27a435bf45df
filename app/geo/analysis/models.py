"""Tables of the analysis: stored Gi* runs, pinned Gi* parameters, published indicator rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


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
            "nonresponse",
            name="uq_hotspot_runs_key",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    survey_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("surveys.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(32))
    indicator: Mapped[str] = mapped_column(Text)
    permutations: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    # How silent comuni were treated: "missing" (left out of the statistic) or "zero".
    nonresponse: Mapped[str] = mapped_column(Text)
    items: Mapped[list[dict]] = mapped_column(JSONB)
    # What the run rests on besides its items: respondents, the islands left by silence and
    # how they were joined.
    summary: Mapped[dict] = mapped_column(JSONB)
    computed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class HotspotPin(Base):
    """The Gi* parameters an analyst pinned for a wave's hotspots layer (none: the defaults)."""

    __tablename__ = "hotspot_pins"

    survey_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    indicator: Mapped[str] = mapped_column(Text)
    permutations: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    nonresponse: Mapped[str] = mapped_column(Text)
    pinned_by: Mapped[str] = mapped_column(Text)
    token_id: Mapped[int | None] = mapped_column(BigInteger)
    pinned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


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
