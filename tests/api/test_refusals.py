"""A refusal says why in plain words: the role, the comune, or the wave a token is bound to."""

from __future__ import annotations

from app.census.responses import submit
from app.census.tokens import create_token
from tests.utils.auth import ADMIN, bearer, token
from tests.utils.documents import document, open_survey


def test_an_analyst_is_told_its_role_cannot_write(client, session):
    open_survey(session)
    analyst = bearer(token(session, "analyst"))

    r = client.post("/api/v1/surveys/test-wave/responses", json=document(), headers=analyst)

    assert r.status_code == 403
    assert r.json()["error"]["message"] == "an analyst token cannot write responses"


def test_a_respondent_of_another_wave_is_told_the_wave(client, session):
    wave = open_survey(session, code="test-wave")
    submit(session, wave, ADMIN, document())
    other = open_survey(session, code="other-wave")
    _, secret = create_token(session, "respondent", ["071051"], "San Severo", survey=other)

    write = client.put("/api/v1/surveys/test-wave/responses/071051", json=document(),
                       headers={**bearer(secret), "If-Match": "*"})  # fmt: skip
    read = client.get("/api/v1/surveys/test-wave/responses/071051", headers=bearer(secret))

    assert write.status_code == 403
    assert write.json()["error"]["message"] == (
        "this token is for another survey wave, not test-wave"
    )
    assert read.status_code == 403
    assert read.json()["error"]["message"] == write.json()["error"]["message"]
