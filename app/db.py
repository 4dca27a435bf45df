"""Engine, sessions and the declarative base."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.exc import DisconnectionError
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


POOL_SIZE, MAX_OVERFLOW = 25, 5

# Tables that PostGIS owns, not us.
POSTGIS_TABLES = {"spatial_ref_sys", "topology", "layer"}


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Tell Alembic which objects are ours: not PostGIS's tables, and spatial indexes once."""
    # Only migrations call this; importing Alembic here keeps it out of every other start-up.
    from geoalchemy2 import alembic_helpers

    if type_ == "table" and name in POSTGIS_TABLES:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


# A pooled connection unused for this long is pinged before it is handed out.
IDLE_PING_SECONDS = 1.0


def _ping_idle_connections(engine: Engine) -> None:
    """Ping a pooled connection before use only if it sat idle, instead of every time.

    A ping on every checkout (`pool_pre_ping`) is a round trip per request. A connection in
    steady use needs none: if the server went away under it, its next statement fails, the
    request answers 503 and SQLAlchemy invalidates the whole pool, so the next requests
    connect afresh. A connection that sat idle (the server may have restarted meanwhile) is
    pinged, and replaced when the ping fails, so the first request after a quiet restart
    does not fail.
    """

    @event.listens_for(engine, "checkin")
    def _idle_from(dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            # The pool discards this connection and checks out (or opens) another.
            raise DisconnectionError("the idle connection is gone") from exc


def make_engine(url: str | None = None) -> Engine:
    """Create the engine for `url`, or for the configured database."""
    url = url or database_settings().database_url
    url = url.replace("postgresql://", "postgresql+psycopg2://", 1)
    engine = create_engine(
        url,
        # Enough kept connections for a worker's busy moments: an overflow connection is
        # closed on return, and opening one (a new PostgreSQL backend) costs more than the
        # request it serves.
        pool_size=POOL_SIZE,
        max_overflow=MAX_OVERFLOW,
        # A server that is down answers at once; one that is unreachable must not hang a worker.
        connect_args={"connect_timeout": 5},
    )
    _ping_idle_connections(engine)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """Open a session whose work commits at the end, or rolls back on error."""
    with session_factory(engine)() as session, session.begin():
        yield session
