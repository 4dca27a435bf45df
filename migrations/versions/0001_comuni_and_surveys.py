"""Comuni boundaries by vintage, and survey waves.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 08:50:08.036200
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # PostGIS must exist first; on a server where we are not superuser an admin creates it.
    op.execute("create extension if not exists postgis")
    op.create_table(
        "comuni_vintages",
        sa.Column("vintage", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("layout", sa.Text(), nullable=False),
        sa.Column("comuni", sa.Integer(), nullable=False),
        sa.Column("repaired", sa.Integer(), nullable=False),
        sa.Column("without_attributes", sa.Integer(), nullable=False),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("vintage", name=op.f("pk_comuni_vintages")),
    )
    op.create_geospatial_table(
        "comuni",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("vintage", sa.SmallInteger(), nullable=False),
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_folded", sa.Text(), nullable=False),
        sa.Column("province_code", sa.String(length=3), nullable=False),
        sa.Column("province_name", sa.Text(), nullable=False),
        sa.Column("province_acronym", sa.String(length=2), nullable=True),
        sa.Column("region_code", sa.String(length=2), nullable=False),
        sa.Column("region_name", sa.Text(), nullable=False),
        sa.Column("ripartizione_code", sa.SmallInteger(), nullable=False),
        sa.Column("ripartizione", sa.Text(), nullable=False),
        sa.Column("population_2011", sa.Integer(), nullable=True),
        sa.Column("area_km2", sa.Float(), nullable=False),
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
            name=op.f("fk_comuni_vintage_comuni_vintages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comuni")),
        sa.UniqueConstraint("vintage", "code", name=op.f("uq_comuni_vintage_code")),
    )
    op.create_geospatial_index(
        "idx_comuni_geom",
        "comuni",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_comuni_vintage"), "comuni", ["vintage"], unique=False)
    op.create_table(
        "surveys",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.String(length=63), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("vintage", sa.SmallInteger(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "code ~ '^[a-z0-9][a-z0-9_-]{0,62}$'", name=op.f("ck_surveys_code_format")
        ),
        sa.CheckConstraint("closes_at > opens_at", name=op.f("ck_surveys_window")),
        sa.ForeignKeyConstraint(
            ["vintage"],
            ["comuni_vintages.vintage"],
            name=op.f("fk_surveys_vintage_comuni_vintages"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("code", name=op.f("uq_surveys_code")),
    )


def downgrade() -> None:
    op.drop_table("surveys")
    op.drop_index(op.f("ix_comuni_vintage"), table_name="comuni")
    op.drop_geospatial_index(
        "idx_comuni_geom", table_name="comuni", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("comuni")
    op.drop_table("comuni_vintages")
