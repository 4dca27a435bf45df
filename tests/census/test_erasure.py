"""Erasure of respondents' personal data on request."""

from __future__ import annotations

import json
import subprocess
import uuid

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.census.models import Response, Revision, Survey
from app.census.responses import erase_respondents, replace, submit
from tests.utils.auth import ADMIN
from tests.utils.documents import document, open_survey

pytestmark = pytest.mark.database("own")


def test_erasure_blanks_every_revision_and_is_recorded(session):
    survey = open_survey(session)
    stored, _ = submit(session, survey, ADMIN, document())
    corrected = {**stored.document, "notes": "corretto"}
    replace(session, survey, ADMIN, "071051", corrected, stored.etag)

    n = erase_respondents(session, survey, "071051", ADMIN)

    assert n == 1
    revisions = session.scalars(
        select(Revision)
        .join(Response, Response.id == Revision.response_id)
        .where(Response.survey_id == survey.id)
        .order_by(Revision.revision)
    ).all()
    assert [r.kind for r in revisions] == ["create", "update", "erasure"]
    assert all(r.document["respondent"] is None for r in revisions)
    assert all(r.respondent_erased_at is not None for r in revisions)
    everything = json.dumps([r.document for r in revisions])
    assert "Maria Rossi" not in everything and "m.rossi@example.it" not in everything
    assert revisions[-1].document["notes"] == "corretto"  # the answers themselves stay


def test_retry_after_erasure_is_still_recognised(session):
    survey = open_survey(session)
    doc = document()
    submit(session, survey, ADMIN, doc)
    erase_respondents(session, survey, None, ADMIN)

    _, created = submit(session, survey, ADMIN, doc)

    assert created is False


def test_erase_command(engine, cli_env):
    code = f"erase-{uuid.uuid4().hex[:8]}"
    with Session(engine) as session, session.begin():
        survey = open_survey(session, code=code)
        submit(session, survey, ADMIN, document())
        survey_id = survey.id
    try:
        r = subprocess.run(
            [".venv/bin/incas", "respondents", "erase", "--survey", code, "--yes"],
            env=cli_env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

        assert r.returncode == 0, r.stderr
        assert "erased the respondent block of 1 response in" in r.stderr
        with Session(engine) as session:
            kinds_and_respondents = session.execute(
                select(Revision.kind, Revision.document["respondent"])
                .join(Response, Response.id == Revision.response_id)
                .where(Response.survey_id == survey_id)
                .order_by(Revision.revision)
            ).all()
        assert kinds_and_respondents == [("create", None), ("erasure", None)]
    finally:
        with Session(engine) as session, session.begin():
            session.execute(delete(Survey).where(Survey.id == survey_id))
