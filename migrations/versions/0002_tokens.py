"""Credentials, stored as hashes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 08:56:39.612558
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("comuni", postgresql.ARRAY(sa.String(length=6)), nullable=False),
        sa.Column("survey_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role <> 'respondent' or cardinality(comuni) > 0",
            name=op.f("ck_tokens_respondent_has_comuni"),
        ),
        sa.CheckConstraint(
            "role in ('admin', 'analyst', 'respondent')", name=op.f("ck_tokens_role")
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_tokens_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_tokens_token_hash")),
    )
    op.create_index(op.f("ix_tokens_survey_id"), "tokens", ["survey_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_tokens_survey_id"), table_name="tokens")
    op.drop_table("tokens")
