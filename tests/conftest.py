"""Test fixtures: one throwaway PostGIS database per test session, national comuni loaded once."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.db import make_engine
from app.main import create_app
from tests.utils.databases import create_database, drop_database, load_vintages, migrate
from tests.utils.inprocess import inprocess_client
from tests.utils.live import live_server
from tests.utils.truth import TruthWave, open_truth_wave

PREFIX = "incas_test"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A migrated database holding the national comuni, dropped at the end."""
    url = create_database(PREFIX)
    try:
        migrate(url)
        load_vintages(url)
        yield url
    finally:
        drop_database(url, PREFIX)


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
    with inprocess_client(app, session) as c:
        yield c


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


@pytest.fixture(scope="session")
def truth_wave() -> Iterator[TruthWave]:
    """A national wave whose truth is known for every comune (2021 comuni, about half answer).

    It is committed, so it gets a database of its own rather than the shared one.
    """
    url = create_database(PREFIX)
    engine = make_engine(url)
    try:
        migrate(url)
        load_vintages(url, (2021,))
        with Session(engine) as session, session.begin():
            truth = open_truth_wave(session, code="truth", seed=11)
        yield TruthWave(url, engine, "truth", truth)
    finally:
        engine.dispose()
        drop_database(url, PREFIX)


@pytest.fixture
def truth_session(truth_wave: TruthWave) -> Iterator[Session]:
    """A session on the truth wave's database whose work is rolled back after the test."""
    with truth_wave.engine.connect() as conn:
        trans = conn.begin()
        sess = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            yield sess
        finally:
            sess.close()
            trans.rollback()
