"""The error contract: a 422 lists every problem at once; every error carries `details`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.utils.auth import bearer, token
from tests.utils.documents import document, open_survey

URL = "/api/v1/surveys/test-wave/responses"
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def survey(session):
    return open_survey(session)


@pytest.fixture
def admin(session):
    return bearer(token(session, "admin", label="Admin"))


def problems(r) -> dict[str, str]:
    assert r.status_code == 422, r.text
    return {d["path"]: d["message"] for d in r.json()["error"]["details"]}


# --- every problem at once (issue 15, item 5) -----------------------------------------------------


def test_a_repeated_month_is_reported_beside_a_month_out_of_range(client, survey, admin):
    doc = document()
    doc["workers"]["seasonal_months"] = [1, 1, 13]

    found = problems(client.post(URL, json=doc, headers=admin))

    assert found["workers.seasonal_months"] == "month 1 appears twice"
    assert "workers.seasonal_months[2]" in found


def test_settlements_must_be_empty_even_when_one_of_them_is_also_wrong(client, survey, admin):
    doc = {**document(), "workers_present": False}
    doc["workers"] = {**doc["workers"], "seasonal_months": [13]}
    doc["informal_settlements"][0]["persons_min"] = -3
    doc["formal_settlements"][0]["type"] = "hotel"

    found = problems(client.post(URL, json=doc, headers=admin))

    assert found["informal_settlements"] == "must be empty when workers_present is false"
    assert found["formal_settlements"] == "must be empty when workers_present is false"
    assert found["workers"] == "must be absent or all zero when workers_present is false"
    assert {"informal_settlements[0].persons_min", "formal_settlements[0].type"} <= set(found)
    assert "workers.seasonal_months[0]" in found


def test_a_wave_reports_its_unknown_vintage_and_its_reversed_dates(client, session, admin):
    wave = {
        "code": "wave-1999",
        "title": "A wave on boundaries nobody loaded",
        "vintage": 1999,
        "opens_at": "2022-01-31T00:00:00Z",
        "closes_at": "2021-10-01T00:00:00Z",
    }

    r = client.post("/api/v1/surveys", json=wave, headers=admin)

    assert problems(r) == {
        "vintage": "no comuni are loaded for vintage 1999",
        "closes_at": "closes_at must be after opens_at",
    }
    assert r.json()["error"]["message"] == "2 problems in the request"


def test_reversed_dates_are_reported_beside_a_bad_code(client, session, admin):
    wave = {
        "code": "Bad Code",
        "title": "t",
        "vintage": 2021,
        "opens_at": "2022-01-31T00:00:00Z",
        "closes_at": "2021-10-01T00:00:00Z",
    }

    assert set(problems(client.post("/api/v1/surveys", json=wave, headers=admin))) == {
        "code",
        "closes_at",
    }


# --- `details` in every error (issue 15, item 6) --------------------------------------------------


def _wave() -> dict:
    return {
        "code": "incas-2021",
        "title": "Censimento",
        "vintage": 2021,
        "opens_at": "2021-10-01T00:00:00Z",
        "closes_at": "2022-01-31T23:59:59Z",
    }


@pytest.mark.parametrize("status", [401, 403, 404, 405, 409, 413])
def test_every_error_has_details(client, session, survey, admin, status):
    respondent = bearer(token(session, "respondent", ("071051",)))
    if status == 409:
        client.post("/api/v1/surveys", json=_wave(), headers=admin)
    requests = {
        401: lambda: client.post("/api/v1/surveys", json=_wave()),
        403: lambda: client.post("/api/v1/surveys", json=_wave(), headers=respondent),
        404: lambda: client.get("/api/v1/surveys/nope"),
        405: lambda: client.delete("/api/v1/surveys"),
        409: lambda: client.post("/api/v1/surveys", json=_wave(), headers=admin),
        413: lambda: client.post(
            URL, json={**document(), "notes": "x" * (2 * 1024 * 1024)}, headers=respondent
        ),
    }

    r = requests[status]()

    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["details"] == [] and error["code"] and error["message"]


def test_invalid_query_is_documented_and_names_its_parameter(client):
    r = client.get("/ogc/collections/comuni_2023/items?colour=red")

    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "invalid_query"
    assert [d["path"] for d in error["details"]] == ["colour"]
    assert "`invalid_query`" in README.read_text()
    items = client.get("/openapi.json").json()["paths"]["/ogc/collections/{collection_id}/items"]
    assert "invalid_query" in items["get"]["responses"]["400"]["description"]


def test_the_openapi_document_declares_the_error_shape_it_answers(client):
    schema = client.get("/openapi.json").json()

    operation = schema["paths"]["/api/v1/comuni"]["get"]
    assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert "details" in schema["components"]["schemas"]["ErrorBody"]["required"]
