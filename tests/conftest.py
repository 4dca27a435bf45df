"""Test fixtures: one throwaway PostGIS database per test session, national comuni loaded once."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.api.deps import get_session
from app.db import make_engine
from app.geo.comuni_loader import Attributes, load_comuni
from app.main import create_app
from app.settings import ROOT, DatabaseSettings
from tests.utils.live import live_server

DATA = ROOT / "data" / "istat_comuni"
FIXTURES = Path(__file__).parent / "fixtures"


def _server_url() -> str:
    return DatabaseSettings().database_url


def create_database(prefix: str = "incas_test") -> str:
    """Create a uniquely named PostGIS database on the test server and return its URL."""
    server = make_url(_server_url())
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        server.set(drivername="postgresql+psycopg2"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    admin.dispose()
    url = server.set(database=name).render_as_string(hide_password=False)
    eng = create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))
    with eng.begin() as conn:
        conn.execute(text("create extension if not exists postgis"))
    eng.dispose()
    return url


def drop_database(url: str) -> None:
    """Drop a database this suite created, and nothing else."""
    name = make_url(url).database
    assert name and name.startswith("incas_"), name
    admin = create_engine(
        make_url(_server_url()).set(drivername="postgresql+psycopg2"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'drop database if exists "{name}" with (force)'))
    admin.dispose()


def migrate(url: str) -> None:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")


def load_national(engine: Engine) -> None:
    """Load both shipped vintages, as `make run` does."""
    attributes = Attributes.read(DATA / "comuni_2020_attributes.json")
    for vintage in (2021, 2023):
        with Session(engine) as session, session.begin():
            load_comuni(session, DATA / f"comuni_{vintage}.gpkg", vintage, attributes)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A migrated database holding the national comuni, dropped at the end."""
    url = create_database()
    try:
        migrate(url)
        engine = make_engine(url)
        load_national(engine)
        engine.dispose()
        yield url
    finally:
        drop_database(url)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test."""
    with engine.connect() as conn:
        trans = conn.begin()
        sess = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            yield sess
        finally:
            sess.close()
            trans.rollback()


@pytest.fixture(scope="session")
def app(database_url: str):
    return create_app(database_url)


@pytest.fixture
def client(app, session: Session) -> Iterator[TestClient]:
    """An in-process client whose requests share the test's rolled-back transaction."""

    def test_session(request: Request) -> Iterator[Session]:
        # A savepoint plays the request's transaction: released on success, rolled back on
        # error. A streamed answer asks for a second session; it shares the first one's, so
        # that the two never close each other's savepoint.
        if getattr(request.state, "test_session", False):
            yield session
            return
        request.state.test_session = True
        with session.begin_nested():
            yield session

    app.dependency_overrides[get_session] = test_session
    try:
        with TestClient(app) as c:
            yield c
    finally:
        app.dependency_overrides.clear()
        if hasattr(app.state, "auth_limiter"):
            app.state.auth_limiter.reset()


@pytest.fixture
def cli_env(database_url: str) -> dict[str, str]:
    """The environment a CLI subprocess needs to reach the test database."""
    return {**os.environ, "DATABASE_URL": database_url, "COLUMNS": "200"}


@pytest.fixture(scope="session")
def live_url(database_url: str, tmp_path_factory) -> Iterator[str]:
    """The service running in its own uvicorn process on the session's database."""
    log = tmp_path_factory.mktemp("live") / "uvicorn.log"
    with live_server(database_url, log) as url:
        yield url


@pytest.fixture(scope="session")
def national_survey(engine) -> str:
    """A committed synthetic national wave (4,000 responses on the 2021 comuni); its code."""
    from app.census.imports import import_lines
    from app.census.tokens import Principal
    from tests.utils.documents import open_survey
    from tests.utils.synthetic import national_documents

    with Session(engine) as session, session.begin():
        survey = open_survey(session, code="national")
        docs = national_documents(session, responded=4000, seed=7)
        lines = [(i, json.dumps(doc)) for i, doc in enumerate(docs)]
        result = import_lines(
            session, survey, Principal(None, "admin", "fixture", frozenset(), None), lines
        )
        assert not result.rejected, result.rejected[:3]
    return "national"
