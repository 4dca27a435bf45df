"""Backups through the command line: take one, prove it restores, restore it."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.census.imports import import_lines
from app.census.models import Response, Revision
from app.census.tokens import Principal
from app.db import make_engine
from app.geo.reference.loader import Attributes, load_comuni
from app.settings import ROOT
from tests.utils import databases
from tests.utils.documents import absent, document, open_survey

FIXTURES = Path(__file__).parents[1] / "fixtures"
# The newest migration, which a backup of a migrated database records.
HEAD = ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini"))).get_current_head()
PREFIX = "incas_test"
ADMIN = Principal(None, "admin", "backup test", frozenset(), None)
INCAS = str(Path(sys.executable).parent / "incas")


@pytest.fixture(scope="module")
def census_url() -> Iterator[str]:
    """A database of its own (the test restores over it): the 2021 slice and a small wave."""
    url = databases.create_database(PREFIX)
    try:
        databases.migrate(url)
        engine = make_engine(url)
        attributes = Attributes.read(databases.DATA / "comuni_2020_attributes.json")
        with Session(engine) as session, session.begin():
            load_comuni(session, FIXTURES / "comuni_2021_slice.gpkg", 2021, attributes)
            survey = open_survey(session, code="backup-wave")
            docs = [document("071051"), absent("071024"), document("071043")]
            import_lines(session, survey, ADMIN, [(i, json.dumps(d)) for i, d in enumerate(docs)])
        engine.dispose()
        yield url
    finally:
        databases.drop_database(url, PREFIX)


def incas(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "COLUMNS": "200"}
    return subprocess.run([INCAS, "db", *args], env=env, capture_output=True, text=True)


def counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with Session(engine) as session:
        found = (
            session.scalar(select(func.count()).select_from(Response)),
            session.scalar(select(func.count()).select_from(Revision)),
        )
    engine.dispose()
    return found


def scratch_databases(url: str) -> list[str]:
    name = make_url(url).database
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))
    with engine.connect() as conn:
        found = conn.scalars(
            text("select datname from pg_database where datname like :p"), {"p": f"{name}_verify_%"}
        ).all()
    engine.dispose()
    return list(found)


def test_backup_verify_and_restore(census_url: str, tmp_path: Path):
    path = tmp_path / "census.dump"
    taken = incas(census_url, "backup", str(path))
    assert taken.returncode == 0, taken.stderr
    manifest = json.loads(Path(f"{path}.json").read_text())
    assert manifest["revision"] == HEAD and manifest["rows"]["responses"] == 3
    assert path.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    # Personal data inside: readable by the owner only, as the mailing CSV.
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(f"{path}.json").stat().st_mode) == 0o600
    assert incas(census_url, "backup", str(path)).returncode == 1  # never overwrites

    verified = incas(census_url, "verify-backup", str(path))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert re.search(r"verified: all \d+ tables match", verified.stdout), verified.stdout
    assert "responses" in verified.stdout
    assert scratch_databases(census_url) == []  # the scratch database is gone

    # The live data moves on: the backup no longer matches it, and says where.
    engine = make_engine(census_url)
    with Session(engine) as session, session.begin():
        session.execute(text("update revisions set created_by = 'someone else'"))
    engine.dispose()
    differs = incas(census_url, "verify-backup", str(path))
    assert differs.returncode == 1 and "revisions" in differs.stderr, differs.stderr
    assert scratch_databases(census_url) == []

    refused = incas(census_url, "restore", str(path))
    assert refused.returncode == 1 and "--yes" in refused.stderr
    restored = incas(census_url, "restore", str(path), "--yes")
    assert restored.returncode == 0, restored.stderr
    assert incas(census_url, "verify-backup", str(path)).returncode == 0
    assert counts(census_url) == (3, 3)


def test_a_damaged_backup_is_refused(census_url: str, tmp_path: Path):
    path = tmp_path / "census.dump"
    assert incas(census_url, "backup", str(path)).returncode == 0
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    for command in (("verify-backup", str(path)), ("restore", str(path), "--yes")):
        answer = incas(census_url, *command)
        assert answer.returncode == 1 and "damaged" in answer.stderr, answer.stderr
    assert counts(census_url) == (3, 3)
