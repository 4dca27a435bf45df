"""The presence model of non-response: fits per data state, and estimates per comune.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 06:12:43.468904
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "presence_fits",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("survey_id", sa.BigInteger(), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=False),
        sa.Column("reporting", sa.Integer(), nullable=False),
        sa.Column("model", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("cv_auc", sa.Float(), nullable=True),
        sa.Column("cv", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "computed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("estimates_stored_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_presence_fits_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_presence_fits")),
        sa.UniqueConstraint(
            "survey_id", "fingerprint", "seed", "method", name=op.f("uq_presence_fits_key")
        ),
    )
    op.create_table(
        "presence_estimates",
        sa.Column("fit_id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("responded", sa.Boolean(), nullable=False),
        sa.Column("p_workers_present", sa.Float(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("drivers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["fit_id"],
            ["presence_fits.id"],
            name=op.f("fk_presence_estimates_fit_id_presence_fits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("fit_id", "code", name=op.f("pk_presence_estimates")),
    )


def downgrade() -> None:
    op.drop_table("presence_estimates")
    op.drop_table("presence_fits")
