"""REST: a caller asks what its own token says (the web questionnaire's first question)."""

from __future__ import annotations

from sqlalchemy import select

from app.census.tokens import create_token
from app.geo.reference.boundary_models import Comune
from tests.utils.auth import bearer, token
from tests.utils.documents import open_survey


def test_a_respondent_learns_its_wave_and_comuni_by_name(client, session):
    wave = open_survey(session, code="me-wave", vintage=2021)
    _, secret = create_token(
        session, "respondent", ["071051", "071004"], "comune test", survey=wave
    )

    r = client.get("/api/v1/me", headers=bearer(secret))

    assert r.status_code == 200
    assert r.json() == {
        "role": "respondent",
        "label": "comune test",
        "survey": "me-wave",
        "vintage": 2021,
        "comuni": [
            {"code": "071004", "name": "Apricena", "province_acronym": "FG"},
            {"code": "071051", "name": "San Severo", "province_acronym": "FG"},
        ],
    }


def test_comuni_are_named_in_the_vintage_of_the_wave_asked_about(client, session):
    gone = session.scalar(
        select(Comune.code)
        .where(Comune.vintage == 2021)
        .except_(select(Comune.code).where(Comune.vintage == 2023))
        .order_by(Comune.code)
        .limit(1)
    )
    open_survey(session, code="me-2023", vintage=2023)
    open_survey(session, code="me-2021", vintage=2021)
    secret = token(session, "respondent", (gone,))

    in_2023 = client.get("/api/v1/me?survey=me-2023", headers=bearer(secret)).json()
    in_2021 = client.get("/api/v1/me?survey=me-2021", headers=bearer(secret)).json()

    assert in_2023["vintage"] == 2023 and in_2023["comuni"][0]["name"] is None
    assert in_2021["vintage"] == 2021 and in_2021["comuni"][0]["name"]
    assert in_2023["survey"] is None  # not bound to a wave


def test_other_roles_have_no_comuni_and_strangers_learn_nothing(client, session):
    analyst = token(session, "analyst", label="an analyst")

    me = client.get("/api/v1/me", headers=bearer(analyst)).json()

    assert (me["role"], me["label"], me["comuni"]) == ("analyst", "an analyst", [])
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=bearer("incas_nope")).status_code == 401
    unknown = client.get("/api/v1/me?survey=no-such-wave", headers=bearer(analyst))
    assert unknown.status_code == 404
