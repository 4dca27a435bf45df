"""Gi* runs and pins name how silent comuni are treated; runs keep a summary.

Runs stored before this revision counted silent comuni as 0: they are marked `zero`, so that
they never stand in for the new default, `missing`. Pins made before it named no treatment:
they take the new default, as the layer does.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "hotspot_runs",
        sa.Column("nonresponse", sa.Text(), nullable=False, server_default="zero"),
    )
    op.add_column(
        "hotspot_runs",
        sa.Column(
            "summary", postgresql.JSONB(astext_type=sa.Text()), nullable=False,
            server_default=sa.text("'{}'::jsonb"),
        ),
    )  # fmt: skip
    op.alter_column("hotspot_runs", "nonresponse", server_default=None)
    op.alter_column("hotspot_runs", "summary", server_default=None)
    op.drop_constraint("uq_hotspot_runs_key", "hotspot_runs", type_="unique")
    op.create_unique_constraint(
        "uq_hotspot_runs_key",
        "hotspot_runs",
        ["survey_id", "fingerprint", "indicator", "permutations", "seed", "nonresponse"],
    )
    op.add_column(
        "hotspot_pins",
        sa.Column("nonresponse", sa.Text(), nullable=False, server_default="missing"),
    )
    op.alter_column("hotspot_pins", "nonresponse", server_default=None)


def downgrade() -> None:
    op.drop_column("hotspot_pins", "nonresponse")
    op.execute("delete from hotspot_runs where nonresponse <> 'zero'")
    op.drop_constraint("uq_hotspot_runs_key", "hotspot_runs", type_="unique")
    op.create_unique_constraint(
        "uq_hotspot_runs_key",
        "hotspot_runs",
        ["survey_id", "fingerprint", "indicator", "permutations", "seed"],
    )
    op.drop_column("hotspot_runs", "summary")
    op.drop_column("hotspot_runs", "nonresponse")
