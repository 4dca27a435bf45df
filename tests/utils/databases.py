"""Throwaway PostGIS databases on the configured server, for the tests and the benchmarks.

They have unique names with a known prefix, and only databases with that prefix are ever
dropped: on a shared server (DATABASE_URL) nothing else is touched.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.db import make_engine
from app.geo.reference.loader import Attributes, load_comuni
from app.settings import ROOT, DatabaseSettings

DATA = ROOT / "data" / "istat_comuni"


def _admin() -> Engine:
    server = make_url(DatabaseSettings().database_url)
    return create_engine(server.set(drivername="postgresql+psycopg2"), isolation_level="AUTOCOMMIT")


def create_database(prefix: str) -> str:
    """Create a uniquely named PostGIS database on the configured server and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    admin.dispose()
    server = make_url(DatabaseSettings().database_url)
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("create extension if not exists postgis"))
    engine.dispose()
    return url


def copy_database(template_url: str, prefix: str) -> str:
    """Create a uniquely named copy of a database (no one may be connected to it); its URL.

    PostgreSQL copies the files, so a copy of the migrated national comuni takes a fraction of
    a second where loading them takes half a minute.
    """
    template = make_url(template_url).database
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}" template "{template}" strategy file_copy'))
    admin.dispose()
    return make_url(template_url).set(database=name).render_as_string(hide_password=False)


@contextmanager
def copied_database(template_url: str, prefix: str) -> Iterator[str]:
    """A copy of the template for the duration of the block, dropped afterwards."""
    url = copy_database(template_url, prefix)
    try:
        yield url
    finally:
        drop_database(url, prefix)


def drop_database(url: str, prefix: str) -> None:
    """Drop a database one of ours created (its name has our prefix), and nothing else."""
    name = make_url(url).database
    if not (name and name.startswith(prefix + "_")):
        raise ValueError(f"refusing to drop {name!r}: not a {prefix} database")
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(text(f'drop database if exists "{name}" with (force)'))
    admin.dispose()


def migrate(url: str) -> None:
    """Bring a database to the newest schema, as `alembic upgrade head` does."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")


def load_vintages(url: str, vintages: Sequence[int] = (2021, 2023)) -> None:
    """Load the shipped comuni of these vintages, with the 2011 population, as `make run` does."""
    attributes = Attributes.read(DATA / "comuni_2020_attributes.json")
    engine = make_engine(url)
    try:
        for vintage in vintages:
            with Session(engine) as session, session.begin():
                load_comuni(session, DATA / f"comuni_{vintage}.gpkg", vintage, attributes)
    finally:
        engine.dispose()
