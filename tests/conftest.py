"""Test fixtures: throwaway PostGIS databases copied from one template, national comuni loaded once.

- The template is migrated and holds the national comuni of 2021 and 2023; nothing connects to
  it after it is built, so PostgreSQL can copy it in a fraction of a second.
- In-process tests share one copy, and each test's work is rolled back (`session`, `client`).
- A module that commits, or that runs the service or the CLI in another process, declares
  `pytestmark = pytest.mark.database("own")` and gets a copy of its own for its module, or
  `pytest.mark.database("national")` for a copy holding the committed synthetic national wave.
  The shared copy is checked at the end: a test that committed into it fails the run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from app.db import make_engine
from app.main import create_app
from tests.utils.auth import ADMIN
from tests.utils.databases import (
    copied_database,
    create_database,
    drop_database,
    load_vintages,
    migrate,
)
from tests.utils.inprocess import inprocess_client
from tests.utils.live import live_server
from tests.utils.truth import TruthWave, open_truth_wave

PREFIX = "incas_test"
FIXTURES = Path(__file__).parent / "fixtures"
NATIONAL = "national"
# What a test may only write in its rolled-back transaction on the shared copy.
WRITTEN_BY_TESTS = ("surveys", "tokens", "responses", "revisions", "hotspot_runs", "hotspot_pins",
                    "case_area_runs", "published_indicators", "access_log")  # fmt: skip


@pytest.fixture(scope="session")
def template_url() -> Iterator[str]:
    """A migrated database holding the national comuni: every test database copies it."""
    url = create_database(PREFIX)
    try:
        migrate(url)
        load_vintages(url)
        yield url
    finally:
        drop_database(url, PREFIX)


@pytest.fixture(scope="session")
def shared_database_url(template_url: str) -> Iterator[str]:
    """The copy the in-process tests share; it must be as empty at the end as at the start."""
    with copied_database(template_url, PREFIX) as url:
        yield url
        engine = make_engine(url)
        with engine.connect() as conn:
            left = {t: conn.scalar(text(f"select count(*) from {t}")) for t in WRITTEN_BY_TESTS}
        engine.dispose()
        committed = {t: n for t, n in left.items() if n}
        assert not committed, f"tests committed into the shared database: {committed}"


@pytest.fixture(scope="session")
def national_template_url(template_url: str) -> Iterator[str]:
    """A copy holding the committed synthetic national wave (4,000 responses on 2021)."""
    from app.census.imports import import_lines
    from tests.utils.documents import open_survey
    from tests.utils.synthetic import national_documents

    with copied_database(template_url, PREFIX) as url:
        engine = make_engine(url)
        with Session(engine) as session, session.begin():
            survey = open_survey(session, code=NATIONAL)
            docs = national_documents(session, responded=4000, seed=7)
            lines = [(i, json.dumps(doc)) for i, doc in enumerate(docs)]
            result = import_lines(session, survey, ADMIN, lines)
            assert not result.rejected, result.rejected[:3]
        engine.dispose()
        yield url


def _database_kind(request: pytest.FixtureRequest) -> str:
    marker = request.node.get_closest_marker("database")
    return marker.args[0] if marker else "shared"


@pytest.fixture(scope="module")
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The module's database: the shared copy, or one of its own (see the module docstring)."""
    kind = _database_kind(request)
    if kind == "shared":
        yield request.getfixturevalue("shared_database_url")
        return
    templates = {"own": "template_url", "national": "national_template_url"}
    with copied_database(request.getfixturevalue(templates[kind]), PREFIX) as url:
        yield url


@pytest.fixture(scope="module")
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


@pytest.fixture(scope="module")
def app(database_url: str):
    return create_app(database_url)


@pytest.fixture
def client(app, session: Session) -> Iterator[TestClient]:
    """An in-process client whose requests share the test's rolled-back transaction."""
    with inprocess_client(app, session) as c:
        yield c


@pytest.fixture
def cli_env(database_url: str) -> dict[str, str]:
    """The environment a CLI subprocess needs to reach the module's database."""
    return {**os.environ, "DATABASE_URL": database_url, "COLUMNS": "200"}


@pytest.fixture(scope="module")
def live_url(database_url: str, tmp_path_factory) -> Iterator[str]:
    """The service running in its own uvicorn process on the module's database."""
    log = tmp_path_factory.mktemp("live") / "uvicorn.log"
    with live_server(database_url, log) as url:
        yield url


@pytest.fixture(scope="module")
def national_survey(request: pytest.FixtureRequest, database_url: str) -> str:
    """The code of the committed synthetic national wave of a module marked database("national")."""
    if _database_kind(request) != "national":
        raise pytest.UsageError('mark the module with pytest.mark.database("national")')
    return NATIONAL


@pytest.fixture(scope="session")
def truth_wave(template_url: str) -> Iterator[TruthWave]:
    """A national wave whose truth is known for every comune (2021 comuni, about half answer).

    It is committed, so it gets a database of its own rather than the shared one.
    """
    with copied_database(template_url, PREFIX) as url:
        engine = make_engine(url)
        try:
            with Session(engine) as session, session.begin():
                truth = open_truth_wave(session, code="truth", seed=11)
            yield TruthWave(url, engine, "truth", truth)
        finally:
            engine.dispose()


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
