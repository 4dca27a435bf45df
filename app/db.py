"""Engine, sessions and the declarative base."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, MetaData, create_engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from app.settings import database_settings

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# Tables that PostGIS owns, not us.
POSTGIS_TABLES = {"spatial_ref_sys", "topology", "layer"}


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Tell Alembic which objects are ours: not PostGIS's tables, and spatial indexes once."""
    # Only migrations call this; importing Alembic here keeps it out of every other start-up.
    from geoalchemy2 import alembic_helpers

    if type_ == "table" and name in POSTGIS_TABLES:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def make_engine(url: str | None = None) -> Engine:
    """Create the engine for `url`, or for the configured database."""
    url = url or database_settings().database_url
    url = url.replace("postgresql://", "postgresql+psycopg2://", 1)
    # A server that is down answers at once; one that is unreachable must not hang a worker.
    return create_engine(
        url,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 5},
    )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """Open a session whose work commits at the end, or rolls back on error."""
    with session_factory(engine)() as session, session.begin():
        yield session
