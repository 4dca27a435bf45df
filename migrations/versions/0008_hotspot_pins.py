"""Pinned Gi* parameters of each wave's hotspots layer.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 07:24:43.556720
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hotspot_pins",
        sa.Column("survey_id", sa.BigInteger(), nullable=False),
        sa.Column("indicator", sa.Text(), nullable=False),
        sa.Column("permutations", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("pinned_by", sa.Text(), nullable=False),
        sa.Column("token_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "pinned_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_hotspot_pins_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("survey_id", name=op.f("pk_hotspot_pins")),
    )


def downgrade() -> None:
    op.drop_table("hotspot_pins")
