"""`incas tokens`: issue, list, revoke, and issue one per comune for mailing."""

from __future__ import annotations

import csv
import stat
import subprocess
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.census.models import Survey, Token
from app.census.tokens import authenticate, create_token, hash_secret
from tests.utils.auth import bearer
from tests.utils.documents import open_survey

pytestmark = pytest.mark.database("own")


def incas(cli_env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [".venv/bin/incas", *args], env=cli_env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def cleanup(engine):
    labels: list[str] = []
    yield labels
    with Session(engine) as session, session.begin():
        session.execute(delete(Token).where(Token.label.in_(labels)))


def test_create_prints_the_secret_last_and_stores_only_its_hash(engine, cli_env, cleanup):
    label = f"cli-{uuid.uuid4().hex[:6]}"
    cleanup.append(label)

    r = incas(cli_env, "tokens", "create", "--role", "respondent", "--comune", "071051",
              "--label", label, "--expires", "2099-01-01")  # fmt: skip

    assert r.returncode == 0, r.stderr
    secret = r.stdout.strip().splitlines()[-1]
    with Session(engine) as session:
        stored = session.scalar(select(Token).where(Token.label == label))
        principal = authenticate(session, secret)
    assert stored.token_hash == hash_secret(secret) and secret not in stored.token_hash
    assert (principal.role, principal.comuni) == ("respondent", frozenset({"071051"}))
    assert stored.expires_at.year == 2099

    listed = incas(cli_env, "tokens", "list")
    assert label in listed.stdout and secret not in listed.stdout

    revoked = incas(cli_env, "tokens", "revoke", str(stored.id))
    assert revoked.returncode == 0
    with Session(engine) as session:
        assert authenticate(session, secret) is None


def test_bad_requests_are_refused_clearly(cli_env):
    r = incas(cli_env, "tokens", "create", "--role", "respondent")

    assert r.returncode == 1
    assert "a respondent token needs at least one comune" in r.stderr


def test_expired_and_revoked_tokens_answer_401(client, session):
    token, secret = create_token(session, "analyst", label="short-lived")
    assert client.get("/api/v1/surveys", headers=bearer(secret)).status_code == 200

    session.execute(
        update(Token)
        .where(Token.id == token.id)
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )

    assert client.get("/api/v1/surveys", headers=bearer(secret)).status_code == 401


def test_issue_respondents_for_every_comune_of_the_vintage(engine, cli_env, tmp_path):
    code = f"mail-{uuid.uuid4().hex[:8]}"
    with Session(engine) as session, session.begin():
        survey_id = open_survey(session, code=code).id
    out = tmp_path / "tokens.csv"
    try:
        r = incas(cli_env, "tokens", "issue-respondents", "--survey", code, "--out", str(out))

        assert r.returncode == 0, r.stderr
        rows = list(csv.DictReader(out.open()))
        assert len(rows) == 7903
        assert "link" not in rows[0]  # only with --base-url
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
        san_severo = next(row for row in rows if row["comune_code"] == "071051")
        with Session(engine) as session:
            principal = authenticate(session, san_severo["token"])
            issued = session.scalar(
                select(func.count()).select_from(Token).where(Token.survey_id == survey_id)
            )
        assert principal.speaks_for("071051", survey_id)
        assert not principal.speaks_for("071024", survey_id)
        assert issued == 7903

        again = incas(cli_env, "tokens", "issue-respondents", "--survey", code, "--out", str(out))
        assert again.returncode == 1 and "refusing to overwrite" in again.stderr
    finally:
        with Session(engine) as session, session.begin():
            session.execute(delete(Survey).where(Survey.id == survey_id))


def test_issue_respondents_with_a_base_url_adds_each_comune_s_link(engine, cli_env, tmp_path):
    code = f"link-{uuid.uuid4().hex[:8]}"
    with Session(engine) as session, session.begin():
        survey_id = open_survey(session, code=code).id
    out = tmp_path / "tokens.csv"
    try:
        bad = incas(cli_env, "tokens", "issue-respondents", "--survey", code, "--out", str(out),
                    "--base-url", "census.example.it")  # fmt: skip
        assert bad.returncode == 1 and "--base-url must start with http" in bad.stderr
        assert not out.exists()

        r = incas(cli_env, "tokens", "issue-respondents", "--survey", code, "--out", str(out),
                  "--base-url", "https://census.example.it/incas/")  # fmt: skip

        assert r.returncode == 0, r.stderr
        rows = list(csv.DictReader(out.open()))
        assert len(rows) == 7903
        for row in rows:
            # The secret rides in the fragment, which no browser sends to the server.
            assert row["link"] == (
                f"https://census.example.it/incas/questionnaire/{code}#token={row['token']}"
            )
    finally:
        with Session(engine) as session, session.begin():
            session.execute(delete(Survey).where(Survey.id == survey_id))
