"""Case-area runs over HTTP: analysts run, list, compare and publish; the public sees little."""

from __future__ import annotations

import json
import subprocess

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.api.case_areas import PublicCaseAreas, Run, RunSummary
from app.census.responses import current, replace
from app.census.surveys import get_survey
from app.geo.analysis.hotspots import hotspots
from app.geo.case_areas.models import CaseAreaRun
from app.settings import ROOT
from tests.utils.auth import ADMIN, bearer, token

pytestmark = pytest.mark.database("national")

INCAS = str(ROOT / ".venv" / "bin" / "incas")
SECRET_NAME = "Ghetto Segreto Zeta-7"
SECRET_NOTE = "Nota riservata Kappa-3"


@pytest.fixture(scope="module")
def wave(engine, national_survey) -> str:
    """The national wave, with its default Gi* stored (committed), as after a first run."""
    with Session(engine) as session, session.begin():
        hotspots(session, get_survey(session, national_survey), "informal_persons_mid", 999, 0)
    return national_survey


@pytest.fixture
def analyst(session) -> dict[str, str]:
    return bearer(token(session, "analyst", label="fieldwork lead"))


def url(wave: str, tail: str = "") -> str:
    return f"/api/v1/surveys/{wave}/case-areas{tail}"


def post_run(client, wave, headers, **params) -> dict:
    r = client.post(url(wave), json=params or None, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_an_analyst_runs_a_selection_and_gets_ten_reasoned_areas(client, wave, analyst):
    doc = post_run(client, wave, analyst)

    Run.model_validate(doc)
    assert doc["created_by"] == "analyst:fieldwork lead" and doc["token_id"]
    assert doc["responses"] == 4000 and len(doc["fingerprint"]) == 32
    assert doc["solver"] in ("greedy", "highs") and doc["constraints_met"]
    assert [a["rank"] for a in doc["areas"]] == list(range(1, 11))
    for area in doc["areas"]:
        assert set(area) >= {"rank", "comuni", "name", "ripartizioni", "score", "indicators",
                             "reasons", "runner_up"}  # fmt: skip
        assert all(len(c) == 6 and c.isdigit() for c in area["comuni"])
        assert area["reasons"] and all(isinstance(r, str) for r in area["reasons"])
        assert area["runner_up"]["comuni"]
    assert doc["parameters"]["n"] == 10 and doc["parameters"]["weights"]["informal_people"] == 0.3


def test_runs_are_for_analysts_only(client, session, wave):
    respondent = bearer(token(session, "respondent", comuni=("071051",)))
    assert client.post(url(wave)).status_code == 401
    assert client.post(url(wave), headers=respondent).status_code == 403
    assert client.get(url(wave)).status_code == 401
    assert client.get(url(wave, "/1")).status_code == 401
    assert client.get(url(wave, "/compare?a=1&b=2")).status_code == 401


def test_bad_parameters_answer_422_with_their_paths(client, wave, analyst):
    r = client.post(
        url(wave),
        json={"weights": {"informal_people": -1}, "n": 0, "exclude_comuni": ["12"], "x": 1},
        headers=analyst,
    )
    assert r.status_code == 422
    paths = {d["path"] for d in r.json()["error"]["details"]}
    assert {"weights.informal_people", "n", "exclude_comuni", "x"} <= paths


def test_runs_are_listed_shown_and_traced(client, wave, analyst):
    first = post_run(client, wave, analyst)
    second = post_run(client, wave, analyst, min_distance_km=80)

    page = client.get(url(wave) + "?limit=2", headers=analyst).json()
    assert set(page) == {"items", "total", "limit", "offset"} and page["limit"] == 2
    assert [r["id"] for r in page["items"]] == [second["id"], first["id"]]
    RunSummary.model_validate(page["items"][0])

    shown = client.get(url(wave, f"/{first['id']}?geometry=true"), headers=analyst).json()
    assert shown["areas"][0]["geometry"]["type"] == "MultiPolygon"
    # The list names each run's areas in rank order, as showing the run gives them.
    assert page["items"][1]["areas"] == [a["name"] for a in shown["areas"]]
    trace = client.get(url(wave, f"/{first['id']}/trace"), headers=analyst).json()
    assert len(trace["revision_ids"]) == 4000
    assert {"candidates", "merges", "constraints", "what_if", "selection"} <= set(trace)
    assert client.get(url(wave, "/999999"), headers=analyst).status_code == 404


def test_compare_says_what_changed_and_why(client, wave, analyst):
    a = post_run(client, wave, analyst)
    b = post_run(client, wave, analyst, weights={"formal_occupancy": 1.0})

    diff = client.get(url(wave, f"/compare?a={a['id']}&b={b['id']}"), headers=analyst).json()

    assert diff["parameters"] == [{"path": "weights.formal_occupancy", "a": 0.15, "b": 1.0}]
    assert diff["data"]["changed"] is False
    assert diff["areas"]["added"] and diff["areas"]["removed"]
    assert all(x["why"] for x in diff["areas"]["added"] + diff["areas"]["removed"])
    assert any("weights.formal_occupancy" in line for line in diff["summary"])
    same = client.get(url(wave, f"/compare?a={a['id']}&b={a['id']}"), headers=analyst).json()
    assert same["summary"] == ["the two runs selected the same areas in the same order"]


def test_exactly_one_run_is_published_and_the_public_sees_only_it(client, wave, analyst):
    assert client.get(url(wave, "/published")).status_code == 404
    a = post_run(client, wave, analyst)
    b = post_run(client, wave, analyst, weights={"formal_occupancy": 1.0})

    assert client.post(url(wave, f"/{a['id']}/publish"), headers=analyst).json()["published"]
    assert client.post(url(wave, f"/{b['id']}/publish")).status_code == 401
    assert client.post(url(wave, f"/{b['id']}/publish"), headers=analyst).status_code == 200

    runs = client.get(url(wave), headers=analyst).json()["items"]
    assert [r["id"] for r in runs if r["published"]] == [b["id"]]
    public = client.get(url(wave, "/published")).json()
    PublicCaseAreas.model_validate(public)
    assert [x["name"] for x in public["areas"]] == [x["name"] for x in b["areas"]]


def test_the_public_view_leaks_nothing_restricted(client, session, wave, analyst):
    # A settlement name and a note in a comune that will be chosen: free text from responses.
    survey = get_survey(session, wave)
    stored = current(session, survey, ADMIN, "071051")
    document = dict(stored.document)
    document["notes"] = SECRET_NOTE
    document["informal_settlements"] = [
        {**s, "name": SECRET_NAME} for s in document["informal_settlements"]
    ]
    replace(session, survey, ADMIN, "071051", document, stored.etag)

    run = post_run(client, wave, analyst)
    client.post(url(wave, f"/{run['id']}/publish"), headers=analyst)
    r = client.get(url(wave, "/published"))
    body = r.text
    public = r.json()

    assert set(public) == {"survey", "published_at", "areas"}
    for area in public["areas"]:
        assert set(area) == {"rank", "name", "reasons", "geometry"}
    for secret in (SECRET_NAME, SECRET_NOTE, "fieldwork lead", "runner", "score", "analyst",
                   run["fingerprint"], "weights", "071051+"):  # fmt: skip
        assert secret not in body, secret
    for area in run["areas"]:
        # The public reasons are the stored public ones, never the analysts' reasons.
        published = next(a for a in public["areas"] if a["rank"] == area["rank"])
        assert published["reasons"] == area["public_reasons"]
        assert not set(published["reasons"]) & set(area["reasons"][:1])
    # Settlement points never appear: the geometry is the union of whole comuni.
    assert all(a["geometry"]["type"] == "MultiPolygon" for a in public["areas"])


def test_the_case_areas_layer_serves_the_published_run_and_any_run_to_analysts(
    client, wave, analyst
):
    base = f"/surveys/{wave}/ogc/collections"
    published_run = post_run(client, wave, analyst)
    trial = post_run(client, wave, analyst, weights={"formal_occupancy": 1.0})
    ids = [c["id"] for c in client.get(base).json()["collections"]]
    assert "case_areas" not in ids  # nothing published yet: nothing to show the public
    client.post(url(wave, f"/{published_run['id']}/publish"), headers=analyst)

    public = client.get(f"{base}/case_areas/items?limit=100").json()
    assert [f["properties"]["name"] for f in public["features"]] == [
        a["name"] for a in published_run["areas"]
    ]
    for feature in public["features"]:
        assert set(feature["properties"]) == {"rank", "name", "reasons"}
        assert feature["geometry"]["type"] == "MultiPolygon"
    # The public cannot reach a trial run: its `run` is ignored.
    sneaky = client.get(f"{base}/case_areas/items?limit=100&run={trial['id']}").json()
    assert sneaky["features"] == public["features"]

    mine = client.get(f"{base}/case_areas/items?limit=100&run={trial['id']}", headers=analyst)
    features = mine.json()["features"]
    assert [f["properties"]["name"] for f in features] == [a["name"] for a in trial["areas"]]
    assert {"score", "comuni", "runner_up", "run_id"} <= set(features[0]["properties"])
    assert features[0]["properties"]["reasons"] == "; ".join(trial["areas"][0]["reasons"])


@pytest.fixture
def cli_runs_removed(engine, wave):
    """The CLI commits its runs: remove them afterwards, so that other tests see none."""
    yield
    with Session(engine) as session, session.begin():
        session.execute(delete(CaseAreaRun).where(CaseAreaRun.created_by == "admin:cli"))


def test_the_cli_selects_prints_and_stores_a_run_as_cli(cli_env, wave, tmp_path, cli_runs_removed):
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"n": 5, "quotas": {"informal": 2, "formal": 1, "seasonal": 2,
                                                     "stable": 1}}))  # fmt: skip
    result = subprocess.run(
        [INCAS, "case-areas", "select", "--survey", wave,
         "--params", str(params)],
        env=cli_env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "5 areas" in result.stdout and "Foggia" in result.stdout
    assert "constraints: every constraint holds" in result.stdout
    listed = subprocess.run(
        [INCAS, "case-areas", "list", "--survey", wave],
        env=cli_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "admin:cli" in listed.stdout

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"quotas": {"formal": -1}}))
    failed = subprocess.run(
        [INCAS, "case-areas", "select", "--survey", wave,
         "--params", str(bad)],
        env=cli_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert failed.returncode == 1 and "quotas.formal" in failed.stderr
