"""Responses, their revisions, and the settlements of the current revision.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 09:02:57.388383
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "responses",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("survey_id", sa.BigInteger(), nullable=False),
        sa.Column("comune_code", sa.String(length=6), nullable=False),
        sa.Column("submission_id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=False),
        sa.Column("workers_present", sa.Boolean(), nullable=False),
        sa.Column("workers_stable", sa.Integer(), nullable=True),
        sa.Column("workers_seasonal", sa.Integer(), nullable=True),
        sa.Column("seasonal_months", postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("women_share", sa.Float(), nullable=True),
        sa.Column("private_housing_share", sa.Float(), nullable=True),
        sa.Column("quality_flags", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_responses_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responses")),
        sa.UniqueConstraint(
            "survey_id", "comune_code", name=op.f("uq_responses_survey_id_comune_code")
        ),
        sa.UniqueConstraint(
            "survey_id", "submission_id", name=op.f("uq_responses_survey_id_submission_id")
        ),
    )
    op.create_geospatial_table(
        "formal_settlements",
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("managed_by", sa.String(length=32), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("occupants", sa.Integer(), nullable=True),
        sa.Column("seasonal", sa.Boolean(), nullable=True),
        sa.Column("open_months", postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("water", sa.Boolean(), nullable=True),
        sa.Column("electricity", sa.Boolean(), nullable=True),
        sa.Column("sanitation", sa.Boolean(), nullable=True),
        sa.Column("heating", sa.Boolean(), nullable=True),
        sa.Column("transport", sa.Boolean(), nullable=True),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("response_id", sa.BigInteger(), nullable=False),
        sa.Column("survey_id", sa.BigInteger(), nullable=False),
        sa.Column("comune_code", sa.String(length=6), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column(
            "location",
            Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column(
            "point",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_formal_settlements_response_id_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_formal_settlements")),
    )
    op.create_geospatial_index(
        "idx_formal_settlements_location",
        "formal_settlements",
        ["location"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_index(
        "idx_formal_settlements_point",
        "formal_settlements",
        ["point"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_formal_settlements_response_id"),
        "formal_settlements",
        ["response_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_formal_settlements_survey_id"), "formal_settlements", ["survey_id"], unique=False
    )
    op.create_geospatial_table(
        "informal_settlements",
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("persons_min", sa.Integer(), nullable=False),
        sa.Column("persons_max", sa.Integer(), nullable=False),
        sa.Column("peak_months", postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("since_year", sa.SmallInteger(), nullable=True),
        sa.Column("water", sa.Boolean(), nullable=True),
        sa.Column("electricity", sa.Boolean(), nullable=True),
        sa.Column("toilets", sa.Boolean(), nullable=True),
        sa.Column("waste_collection", sa.Boolean(), nullable=True),
        sa.Column("distance_to_work_km", sa.Float(), nullable=True),
        sa.Column("public_transport", sa.Boolean(), nullable=True),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("response_id", sa.BigInteger(), nullable=False),
        sa.Column("survey_id", sa.BigInteger(), nullable=False),
        sa.Column("comune_code", sa.String(length=6), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column(
            "location",
            Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column(
            "point",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_informal_settlements_response_id_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_informal_settlements")),
    )
    op.create_geospatial_index(
        "idx_informal_settlements_location",
        "informal_settlements",
        ["location"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_index(
        "idx_informal_settlements_point",
        "informal_settlements",
        ["point"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_informal_settlements_response_id"),
        "informal_settlements",
        ["response_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_informal_settlements_survey_id"),
        "informal_settlements",
        ["survey_id"],
        unique=False,
    )
    op.create_table(
        "revisions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("response_id", sa.BigInteger(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("submission_id", sa.Uuid(), nullable=False),
        sa.Column("document", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("quality_flags", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("token_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_by_role", sa.String(length=16), nullable=False),
        sa.Column("outside_window", sa.Boolean(), nullable=False),
        sa.Column("respondent_erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind in ('create', 'update', 'erasure')", name=op.f("ck_revisions_kind")
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_revisions_response_id_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revisions")),
        sa.UniqueConstraint(
            "response_id", "revision", name=op.f("uq_revisions_response_id_revision")
        ),
    )


def downgrade() -> None:
    op.drop_table("revisions")
    op.drop_index(op.f("ix_informal_settlements_survey_id"), table_name="informal_settlements")
    op.drop_index(op.f("ix_informal_settlements_response_id"), table_name="informal_settlements")
    op.drop_geospatial_index(
        "idx_informal_settlements_point",
        table_name="informal_settlements",
        postgresql_using="gist",
        column_name="point",
    )
    op.drop_geospatial_index(
        "idx_informal_settlements_location",
        table_name="informal_settlements",
        postgresql_using="gist",
        column_name="location",
    )
    op.drop_geospatial_table("informal_settlements")
    op.drop_index(op.f("ix_formal_settlements_survey_id"), table_name="formal_settlements")
    op.drop_index(op.f("ix_formal_settlements_response_id"), table_name="formal_settlements")
    op.drop_geospatial_index(
        "idx_formal_settlements_point",
        table_name="formal_settlements",
        postgresql_using="gist",
        column_name="point",
    )
    op.drop_geospatial_index(
        "idx_formal_settlements_location",
        table_name="formal_settlements",
        postgresql_using="gist",
        column_name="location",
    )
    op.drop_geospatial_table("formal_settlements")
    op.drop_table("responses")
