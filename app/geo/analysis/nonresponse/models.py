"""Tables of the presence model: one fit per state of the data, and its estimate per comune."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class PresenceFit(Base):
    """A model of workers' presence fitted on one data state's respondents, kept for the trace."""

    __tablename__ = "presence_fits"
    __table_args__ = (
        UniqueConstraint("survey_id", "fingerprint", "seed", "method", name="uq_presence_fits_key"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    survey_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("surveys.id", ondelete="CASCADE"))
    # md5 over comune:etag of every current response, the key hot spots are stored under.
    fingerprint: Mapped[str] = mapped_column(String(32))
    seed: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(Text)  # what was fitted; a new method never reuses a fit
    respondents: Mapped[int] = mapped_column(Integer)
    reporting: Mapped[int] = mapped_column(Integer)  # respondents reporting workers
    # Features, standardisation, coefficients and intercept: enough to recompute every estimate.
    model: Mapped[dict] = mapped_column(JSONB)
    # Spatially blocked cross-validation on the respondents (blocks = provinces).
    cv_auc: Mapped[float | None] = mapped_column(Float)
    cv: Mapped[dict] = mapped_column(JSONB)
    computed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    # When its per-comune estimates were stored; null once they are dropped to save room (only
    # the newest fits of a wave keep them: 7,903 rows each). Asked again, they are recomputed,
    # identical: same data, same seed.
    estimates_stored_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PresenceEstimate(Base):
    """One comune's estimated probability that workers are present, with the facts behind it.

    Respondents get one too, from the other comuni's answers only (their own answer never
    enters their features): it is what the model would have said, kept for checking it.
    """

    __tablename__ = "presence_estimates"
    __table_args__ = (PrimaryKeyConstraint("fit_id", "code"),)

    fit_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("presence_fits.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(6))
    responded: Mapped[bool] = mapped_column(Boolean)
    p_workers_present: Mapped[float] = mapped_column(Float)
    # Place in the follow-up list (silent comuni only): highest estimate first, then the larger
    # comune, then the code. Fixed per fit, so pages and filters read it instead of sorting.
    rank: Mapped[int | None] = mapped_column(Integer)
    # [{"group", "text", "effect"}]: the facts that move the estimate most, in plain words.
    drivers: Mapped[list[dict]] = mapped_column(JSONB)
