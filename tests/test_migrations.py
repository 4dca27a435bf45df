"""The migrations and the models describe the same schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers

import app.models  # noqa: F401
from app.db import Base, include_object


def test_autogenerate_finds_no_difference(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_object": include_object,
                "render_item": alembic_helpers.render_item,
            },
        )
        diff = compare_metadata(ctx, Base.metadata)

    assert diff == []
