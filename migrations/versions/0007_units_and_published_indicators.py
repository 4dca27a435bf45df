"""Boundaries of provinces, regions, ripartizioni and Italy; indicator states for the layers.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 09:59:47.642610
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_geospatial_table(
        "unit_boundaries",
        sa.Column("vintage", sa.SmallInteger(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["vintage"],
            ["comuni_vintages.vintage"],
            name=op.f("fk_unit_boundaries_vintage_comuni_vintages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vintage", "level", "code", name=op.f("pk_unit_boundaries")),
    )
    op.create_geospatial_index(
        "idx_unit_boundaries_geom",
        "unit_boundaries",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_table(
        "published_indicators",
        sa.Column("survey_id", sa.BigInteger(), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("audience", sa.String(length=8), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("values", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("suppressed_fields", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_published_indicators_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "survey_id",
            "fingerprint",
            "audience",
            "level",
            "code",
            name=op.f("pk_published_indicators"),
        ),
    )


def downgrade() -> None:
    op.drop_table("published_indicators")
    op.drop_geospatial_index(
        "idx_unit_boundaries_geom",
        table_name="unit_boundaries",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("unit_boundaries")
