"""Answers given to a credential are kept by no cache, and every answer varies with it."""

from __future__ import annotations

import pytest

from tests.utils.auth import bearer, token
from tests.utils.documents import document, open_survey

URL = "/api/v1/surveys/test-wave/responses"


@pytest.fixture
def respondent(session):
    open_survey(session)
    return bearer(token(session, "respondent", ("071051",)))


def test_a_respondents_own_response_with_personal_data_is_not_cached(client, respondent):
    client.post(URL, json=document(), headers=respondent)

    r = client.get(f"{URL}/071051", headers=respondent)

    assert r.status_code == 200 and r.json()["document"]["respondent"]["email"]
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["vary"] == "Authorization"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/surveys",
        "/api/v1/surveys/test-wave",
        "/api/v1/comuni?limit=1",
        "/api/v1/surveys/test-wave/indicators?level=italy",
        f"{URL}/071051/revisions",
        "/api/v1/surveys/test-wave/case-areas",
    ],
)
def test_every_credentialed_answer_is_no_store(client, session, respondent, path):
    analyst = bearer(token(session, "analyst"))

    for headers in (respondent, analyst):
        r = client.get(path, headers=headers)
        assert r.headers["cache-control"] == "no-store", (path, r.status_code)
        assert r.headers["vary"] == "Authorization"


def test_anonymous_answers_vary_with_the_credential(client, respondent):
    r = client.get("/api/v1/surveys/test-wave/indicators?level=italy")

    assert r.status_code == 200
    assert r.headers["vary"] == "Authorization"
