"""`incas responses import`: 4,000 documents, 5% spoiled, imported twice."""

from __future__ import annotations

import json
import random
import re
import subprocess
import uuid

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.census.models import Response, Survey
from tests.utils.documents import open_survey
from tests.utils.synthetic import national_documents, spoil

pytestmark = pytest.mark.database("own")

INCAS = ["python", "-m", "app.cli"]


@pytest.fixture
def wave(engine):
    code = f"import-{uuid.uuid4().hex[:8]}"
    with Session(engine) as session, session.begin():
        survey_id = open_survey(session, code=code).id
    yield code, survey_id
    with Session(engine) as session, session.begin():
        session.execute(delete(Survey).where(Survey.id == survey_id))


def incas(cli_env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [".venv/bin/incas", *args], env=cli_env, capture_output=True, text=True, timeout=600
    )


def test_import_stores_every_valid_document_once(engine, wave, cli_env, tmp_path):
    code, survey_id = wave
    with Session(engine) as session:
        docs = national_documents(session, responded=4000, seed=11)
    rnd = random.Random(3)
    spoiled = set(rnd.sample(range(len(docs)), len(docs) // 20))
    lines = [spoil(rnd, d) if i in spoiled else json.dumps(d) for i, d in enumerate(docs)]
    path = tmp_path / "responses.jsonl"
    path.write_text("\n".join(lines) + "\n")

    first = incas(cli_env, "responses", "import", str(path), "--survey", code)

    assert first.returncode == 0, first.stderr
    valid = len(docs) - len(spoiled)
    assert f"read 4000 documents: {valid} created, 0 already stored, 200 rejected" in first.stdout
    rate = float(re.search(r"\((\d+) documents/s\)", first.stdout).group(1))
    assert rate > 0
    report = [
        json.loads(x) for x in (tmp_path / "responses.rejected.jsonl").read_text().splitlines()
    ]
    assert sorted(r["line"] for r in report) == sorted(i + 1 for i in spoiled)
    assert all(r["code"] == "validation_failed" and r["details"] for r in report)
    assert all("ufficio." not in json.dumps(r) for r in report)  # no personal data in the report
    with Session(engine) as session:
        stored = session.scalar(
            select(func.count()).select_from(Response).where(Response.survey_id == survey_id)
        )
    assert stored == valid

    second = incas(cli_env, "responses", "import", str(path), "--survey", code)

    assert second.returncode == 0, second.stderr
    assert f"read 4000 documents: 0 created, {valid} already stored, 200 rejected" in second.stdout
    with Session(engine) as session:
        again = session.scalar(
            select(func.count()).select_from(Response).where(Response.survey_id == survey_id)
        )
    assert again == valid


def test_rejects_go_to_the_file_the_help_names(wave, cli_env, tmp_path):
    code, _ = wave
    path = tmp_path / "late.jsonl"
    path.write_text('{"not": "a response"}\n')

    helped = incas(cli_env, "responses", "import", "--help")
    r = incas(cli_env, "responses", "import", str(path), "--survey", code)

    assert r.returncode == 0, r.stderr
    assert "FILE.rejected.jsonl" in " ".join(helped.stdout.split())
    assert (tmp_path / "late.rejected.jsonl").exists()
    assert str(tmp_path / "late.rejected.jsonl") in r.stdout.replace("\n", "")
