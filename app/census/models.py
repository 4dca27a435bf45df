"""Tables of the survey domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
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
