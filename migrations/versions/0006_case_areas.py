"""Case-area runs and their areas.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 09:51:38.156234
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_area_runs",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("survey_id", sa.BigInteger(), nullable=False),
        sa.Column("parameters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("revision_ids", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("token_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("solver", sa.String(length=16), nullable=False),
        sa.Column("constraints_met", sa.Boolean(), nullable=False),
        sa.Column("constraints", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("trace", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_case_area_runs_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_area_runs")),
    )
    op.create_index(
        op.f("ix_case_area_runs_survey_id"), "case_area_runs", ["survey_id"], unique=False
    )
    op.create_index(
        "uq_case_area_runs_published",
        "case_area_runs",
        ["survey_id"],
        unique=True,
        postgresql_where=sa.text("published_at is not null"),
    )
    op.create_geospatial_table(
        "case_areas",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("candidate", sa.Text(), nullable=False),
        sa.Column("comuni", postgresql.ARRAY(sa.String(length=6)), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("ripartizioni", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("typology", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("indicators", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("public_reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("runner_up", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["case_area_runs.id"],
            name=op.f("fk_case_areas_run_id_case_area_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_areas")),
        sa.UniqueConstraint("run_id", "rank", name=op.f("uq_case_areas_run_id_rank")),
    )


def downgrade() -> None:
    op.drop_geospatial_table("case_areas")
    op.drop_index(
        "uq_case_area_runs_published",
        table_name="case_area_runs",
        postgresql_where=sa.text("published_at is not null"),
    )
    op.drop_index(op.f("ix_case_area_runs_survey_id"), table_name="case_area_runs")
    op.drop_table("case_area_runs")
