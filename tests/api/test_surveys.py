"""REST: survey waves, and who may open them."""

from __future__ import annotations

import pytest

from tests.utils.auth import basic, bearer, token

WAVE = {
    "code": "incas-2021",
    "title": "Censimento INCAS 2021",
    "vintage": 2021,
    "opens_at": "2021-10-01T00:00:00Z",
    "closes_at": "2022-01-31T23:59:59Z",
}


def test_admin_opens_a_wave_and_anyone_reads_it(client, session):
    admin = token(session, "admin")

    r = client.post("/api/v1/surveys", json=WAVE, headers=bearer(admin))

    assert r.status_code == 201
    assert r.json()["reference_year"] == 2021
    listed = client.get("/api/v1/surveys").json()
    assert "incas-2021" in [s["code"] for s in listed["items"]]
    assert listed["total"] == len(listed["items"])
    one = client.get("/api/v1/surveys/incas-2021").json()
    assert (one["vintage"], one["is_open"]) == (2021, False)


def test_basic_auth_carries_the_token_as_password(client, session):
    admin = token(session, "admin")

    r = client.post("/api/v1/surveys", json=WAVE, headers=basic(admin))

    assert r.status_code == 201


@pytest.mark.parametrize("role", ["analyst", "respondent"])
def test_only_admins_open_waves(client, session, role):
    secret = token(session, role, ("071051",) if role == "respondent" else ())

    r = client.post("/api/v1/surveys", json=WAVE, headers=bearer(secret))

    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    "headers",
    [{}, bearer("incas_not-a-real-token"), {"Authorization": "Basic !!!"}, bearer("")],
)
def test_missing_or_invalid_token_is_401(client, headers):
    r = client.post("/api/v1/surveys", json=WAVE, headers=headers)

    assert r.status_code == 401
    assert r.json()["error"]["code"] == "not_authenticated"
    assert "Bearer" in r.headers["WWW-Authenticate"]


def test_duplicate_code_conflicts(client, session):
    admin = bearer(token(session, "admin"))
    client.post("/api/v1/surveys", json=WAVE, headers=admin)

    r = client.post("/api/v1/surveys", json=WAVE, headers=admin)

    assert r.status_code == 409
    assert r.json()["error"]["code"] == "survey_exists"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"vintage": 2019}, "vintage"),
        ({"code": "Bad Code"}, "code"),
        ({"closes_at": "2021-01-01T00:00:00Z"}, "closes_at"),
        ({"opens_at": "2021-10-01T00:00:00"}, "opens_at"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_wave_is_422_with_its_path(client, session, change, path):
    r = client.post(
        "/api/v1/surveys", json={**WAVE, **change}, headers=bearer(token(session, "admin"))
    )

    assert r.status_code == 422
    assert path in [d["path"] for d in r.json()["error"]["details"]]


def test_unknown_survey_is_404(client):
    r = client.get("/api/v1/surveys/nope")

    assert r.status_code == 404
    assert "nope" in r.json()["error"]["message"]


def test_burst_of_bad_tokens_is_slowed_down(client):
    statuses = [
        client.get("/api/v1/surveys", headers=bearer(f"incas_guess{i}")).status_code
        for i in range(15)
    ]

    assert statuses[:10] == [401] * 10
    assert set(statuses[10:]) == {429}
    r = client.get("/api/v1/surveys", headers=bearer("incas_guess"))
    assert int(r.headers["Retry-After"]) > 0
