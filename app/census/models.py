"""Tables of the survey domain; the settlements, which have geometry, are in settlement_models."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class Survey(Base):
    """A survey wave, pinned to one boundary vintage."""

    __tablename__ = "surveys"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="window"),
        CheckConstraint("code ~ '^[a-z0-9][a-z0-9_-]{0,62}$'", name="code_format"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(63), unique=True)
    title: Mapped[str] = mapped_column(Text)
    vintage: Mapped[int] = mapped_column(
        SmallInteger, ForeignKey("comuni_vintages.vintage", ondelete="RESTRICT")
    )
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Token(Base):
    """A credential. Only its SHA-256 hash is stored; the secret is shown once."""

    __tablename__ = "tokens"
    __table_args__ = (
        CheckConstraint("role in ('admin', 'analyst', 'respondent')", name="role"),
        CheckConstraint(
            "role <> 'respondent' or cardinality(comuni) > 0", name="respondent_has_comuni"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the secret, so that an operator can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(Text, default="")
    comuni: Mapped[list[str]] = mapped_column(ARRAY(String(6)), default=list)
    survey_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("surveys.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Response(Base):
    """One comune's response to one wave, pointing at its current revision."""

    __tablename__ = "responses"
    __table_args__ = (
        # These two constraints are what make concurrent retries safe: see census/responses.py.
        UniqueConstraint("survey_id", "comune_code"),
        UniqueConstraint("survey_id", "submission_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    survey_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("surveys.id", ondelete="CASCADE"))
    comune_code: Mapped[str] = mapped_column(String(6))
    # The submission that created the response: POST retries are recognised by it.
    submission_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    revision: Mapped[int] = mapped_column(Integer)
    etag: Mapped[str] = mapped_column(Text)
    # The current revision, normalised for indicators and listings.
    workers_present: Mapped[bool] = mapped_column(Boolean)
    workers_stable: Mapped[int | None] = mapped_column(Integer)
    workers_seasonal: Mapped[int | None] = mapped_column(Integer)
    seasonal_months: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger), default=list)
    women_share: Mapped[float | None] = mapped_column(Float)
    private_housing_share: Mapped[float | None] = mapped_column(Float)
    quality_flags: Mapped[list[dict]] = mapped_column(JSONB, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Revision(Base):
    """A full document as it was written, with who wrote it and when. Never overwritten."""

    __tablename__ = "revisions"
    __table_args__ = (
        UniqueConstraint("response_id", "revision"),
        CheckConstraint("kind in ('create', 'update', 'erasure')", name="kind"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    response_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("responses.id", ondelete="CASCADE")
    )
    revision: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    submission_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    document: Mapped[dict] = mapped_column(JSONB)
    content_hash: Mapped[str] = mapped_column(String(64))
    quality_flags: Mapped[list[dict]] = mapped_column(JSONB, default=list)
    token_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(Text)
    created_by_role: Mapped[str] = mapped_column(String(16))
    # An admin wrote while the wave was closed (a correction or a late import).
    outside_window: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the respondent block was blanked on request; the data itself is gone.
    respondent_erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
