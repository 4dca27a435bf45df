"""Queen contiguity per vintage, and stored hot-spot computations.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 09:27:14.194037
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "comune_neighbours",
        sa.Column("vintage", sa.SmallInteger(), nullable=False),
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("neighbour", sa.String(length=6), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.CheckConstraint("kind in ('queen', 'nearest')", name=op.f("ck_comune_neighbours_kind")),
        sa.ForeignKeyConstraint(
            ["vintage"],
            ["comuni_vintages.vintage"],
            name=op.f("fk_comune_neighbours_vintage_comuni_vintages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vintage", "code", "neighbour", name=op.f("pk_comune_neighbours")),
    )
    op.create_table(
        "hotspot_runs",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("survey_id", sa.BigInteger(), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("indicator", sa.Text(), nullable=False),
        sa.Column("permutations", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("items", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "computed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_hotspot_runs_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotspot_runs")),
        sa.UniqueConstraint(
            "survey_id",
            "fingerprint",
            "indicator",
            "permutations",
            "seed",
            name=op.f("uq_hotspot_runs_key"),
        ),
    )


def downgrade() -> None:
    op.drop_table("hotspot_runs")
    op.drop_table("comune_neighbours")
