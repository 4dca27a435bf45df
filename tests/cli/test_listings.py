"""`incas surveys list` and `incas tokens list` piped: full rows, tab-separated, or JSON."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from app.census.surveys import SurveyIn, create_survey
from app.census.tokens import create_token

pytestmark = pytest.mark.database("own")

TITLE = "Censimento dei lavoratori stranieri del settore agroalimentare, seconda rilevazione"
LABEL = "Ufficio anagrafe del comune di San Severo, provincia di Foggia, per la seconda ondata"


@pytest.fixture(scope="module")
def listed(engine, database_url) -> dict:
    """A wave with a long title, two respondents of it (one with many comuni) and an analyst."""
    code = f"pipe-{uuid.uuid4().hex[:6]}"
    with Session(engine) as session, session.begin():
        now = datetime.now(UTC)
        window = {"opens_at": now, "closes_at": now + timedelta(days=30)}
        wave = create_survey(session, SurveyIn(code=code, title=TITLE, vintage=2021, **window))
        many = ["071051", "071024", "071020", "071060", "071004"]
        create_token(session, "respondent", many, LABEL, survey=wave)
        create_token(session, "respondent", ["071024"], "Foggia", survey=wave)
        create_token(session, "analyst", label="Analista")
    # Piped, with no terminal width to go by: rich would wrap at 80 columns.
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    return {"code": code, "env": {**env, "DATABASE_URL": database_url}, "many": many}


def incas(env, *args: str) -> subprocess.CompletedProcess:
    r = subprocess.run([".venv/bin/incas", *args], env=env, capture_output=True, text=True,
                       timeout=120)  # fmt: skip
    assert r.returncode == 0, r.stderr
    return r


def test_piped_lists_are_full_tab_separated_rows(listed):
    surveys = incas(listed["env"], "surveys", "list").stdout.splitlines()
    tokens = incas(listed["env"], "tokens", "list").stdout.splitlines()

    assert "…" not in "".join(surveys + tokens)
    wave = next(line.split("\t") for line in surveys if line.startswith(listed["code"] + "\t"))
    assert TITLE in wave
    header = tokens[0].split("\t")
    rows = [dict(zip(header, line.split("\t"), strict=True)) for line in tokens[1:]]
    long = next(r for r in rows if r["label"] == LABEL)
    assert long["comuni"] == ",".join(sorted(listed["many"]))
    assert long["survey"] == listed["code"]


def test_lists_as_json(listed):
    surveys = json.loads(incas(listed["env"], "surveys", "list", "--json").stdout)
    tokens = json.loads(incas(listed["env"], "tokens", "list", "--json").stdout)

    assert {"code": listed["code"], "title": TITLE}.items() <= next(
        s for s in surveys if s["code"] == listed["code"]
    ).items()
    assert next(t for t in tokens if t["label"] == LABEL)["comuni"] == sorted(listed["many"])


def test_tokens_list_filters_by_survey_role_and_comune(listed):
    def labels(*args: str) -> set[str]:
        return {t["label"] for t in json.loads(incas(listed["env"], "tokens", "list", "--json",
                                                     *args).stdout)}  # fmt: skip

    assert labels("--survey", listed["code"]) == {LABEL, "Foggia"}
    assert labels("--survey", listed["code"], "--comune", "071051") == {LABEL}
    assert "Analista" in labels("--role", "analyst")
    assert not labels("--role", "analyst") & {LABEL, "Foggia"}
    bad = subprocess.run([".venv/bin/incas", "tokens", "list", "--role", "boss"], env=listed["env"],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert bad.returncode != 0 and "boss" in bad.stderr
