"""Progress (public) and the follow-up list (analysts) over HTTP, on the truth wave."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy.orm import Session

from app.api.deps import Page
from app.api.nonresponse import FollowUpOut, ModelOut, ProgressRow
from app.census.surveys import get_survey
from app.census.tokens import issue_respondents, revoke_token
from app.geo.analysis.nonresponse.presence import presence_fit
from app.main import create_app
from tests.utils.auth import bearer, token
from tests.utils.inprocess import inprocess_client

BASE = "/api/v1/surveys/truth"


@pytest.fixture(scope="module")
def truth_app(truth_wave):
    """The app on the truth wave, with the wave's presence model stored (committed) once."""
    with Session(truth_wave.engine) as session, session.begin():
        presence_fit(session, get_survey(session, truth_wave.code))
    return create_app(truth_wave.url)


@pytest.fixture
def client(truth_app, truth_session):
    with inprocess_client(truth_app, truth_session) as c:
        yield c


@pytest.fixture
def analyst(truth_session) -> dict[str, str]:
    return bearer(token(truth_session, "analyst"))


def test_progress_is_public_and_adds_up(client, truth_wave):
    regions = client.get(f"{BASE}/progress", params={"level": "region"})
    italy = client.get(f"{BASE}/progress", params={"level": "italy"}).json()["items"][0]

    assert regions.status_code == 200
    page = Page[ProgressRow].model_validate(regions.json())
    assert page.total == len(page.items) == 20
    assert sum(r.responded for r in page.items) == italy["responded"]
    assert italy["responded"] == sum(truth_wave.truth.responds.values())
    assert italy["invited"] == 7903 and 0.4 < italy["coverage_population"] < 0.7
    daily = [d["count"] for d in italy["first_submissions"]]
    assert sum(daily) == italy["responded"]
    assert set(italy) == set(ProgressRow.model_fields)  # counts and shares, nothing personal


def test_progress_as_csv(client):
    r = client.get(f"{BASE}/progress", params={"level": "province", "f": "csv"})

    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 107
    foggia = next(row for row in rows if row["code"] == "071")
    days = dict(d.split(":") for d in foggia["first_submissions"].split(";"))
    assert sum(map(int, days.values())) == int(foggia["responded"])
    assert float(foggia["coverage_population"]) > 0


def test_progress_refuses_other_levels(client):
    r = client.get(f"{BASE}/progress", params={"level": "comune"})

    assert r.status_code == 422 and r.json()["error"]["details"][0]["path"] == "level"


def test_the_follow_up_list_is_for_analysts(client, truth_session):
    respondent = bearer(token(truth_session, "respondent", ("071051",)))

    assert client.get(f"{BASE}/follow-up").status_code == 401
    assert client.get(f"{BASE}/follow-up", headers=respondent).status_code == 403
    assert client.get(f"{BASE}/presence-model").status_code == 401


def test_the_follow_up_list_ranks_every_silent_comune(client, analyst, truth_wave):
    first = client.get(f"{BASE}/follow-up", headers=analyst)
    second = client.get(f"{BASE}/follow-up", params={"offset": 100, "limit": 50}, headers=analyst)

    assert first.status_code == 200, first.text
    body = FollowUpOut.model_validate(first.json())
    silent = truth_wave.truth.silent()
    assert body.total == len(silent) and body.limit == 100 and body.offset == 0
    assert [i.rank for i in body.items] == list(range(1, 101))
    assert [i["rank"] for i in second.json()["items"]] == list(range(101, 151))
    assert {i.code for i in body.items} <= set(silent)
    p = [i.p_workers_present for i in body.items]
    assert p == sorted(p, reverse=True) and p[0] > 0.5
    assert all(1 <= len(i.reasons) <= 3 for i in body.items)
    assert body.model.estimate == "model" and body.model.kind == "logistic_regression"
    assert body.model.cv_auc and body.model.cv_auc > 0.8
    # the top of the list lies in the districts the generator put workers in
    top = body.items[:30]
    assert sum(truth_wave.truth.present[i.code] for i in top) >= 25


def test_filters_keep_the_national_rank(client, analyst):
    puglia = client.get(f"{BASE}/follow-up", params={"region": "Puglia", "limit": 1000},
                        headers=analyst).json()  # fmt: skip
    by_code = client.get(f"{BASE}/follow-up", params={"region": "16", "limit": 1000},
                         headers=analyst).json()  # fmt: skip
    foggia = client.get(f"{BASE}/follow-up", params={"province": "FG"}, headers=analyst).json()

    assert puglia["items"] == by_code["items"] and puglia["total"] > 50
    assert {i["region_name"] for i in puglia["items"]} == {"Puglia"}
    ranks = [i["rank"] for i in puglia["items"]]
    assert ranks == sorted(ranks) and ranks[-1] > len(ranks)  # national ranks, with gaps
    assert {i["province_acronym"] for i in foggia["items"]} == {"FG"}
    assert {i["code"] for i in foggia["items"]} <= {i["code"] for i in puglia["items"]}


def test_rows_carry_token_ids_never_secrets(client, analyst, truth_session, truth_wave):
    survey = get_survey(truth_session, truth_wave.code)
    credentials = issue_respondents(truth_session, survey)
    truth_session.flush()
    top = client.get(f"{BASE}/follow-up", params={"limit": 5}, headers=analyst).json()["items"]
    revoked = top[0]["token_ids"][0]
    revoke_token(truth_session, str(revoked))
    truth_session.flush()

    again = client.get(f"{BASE}/follow-up", params={"limit": 5}, headers=analyst)

    assert all(len(i["token_ids"]) == 1 for i in top)
    assert again.json()["items"][0]["token_ids"] == []
    assert not any(c.token in again.text for c in credentials)
    assert "incas_" not in again.text


def test_the_follow_up_list_as_csv(client, analyst, truth_wave):
    r = client.get(f"{BASE}/follow-up", params={"f": "csv", "province": "RC"}, headers=analyst)

    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and {row["province_acronym"] for row in rows} == {"RC"}
    assert all(row["reasons"] and 0 <= float(row["p_workers_present"]) <= 1 for row in rows)
    silent_rc = [c for c in truth_wave.truth.silent() if c.startswith("080")]
    assert len(rows) == len(silent_rc)


def test_the_model_behind_the_list(client, analyst):
    r = client.get(f"{BASE}/presence-model", headers=analyst)

    assert r.status_code == 200
    body = ModelOut.model_validate(r.json())
    names = [f["name"] for f in body.model["features"]]
    assert "share_25km" in names and "region_rate" in names and "log_population" in names
    assert all(isinstance(f["coefficient"], float) for f in body.model["features"])
    assert body.cv["blocks"] == "provinces" and len(body.cv["folds"]) == 5
    assert body.summary.stored and body.summary.cv_auc == body.cv["auc"]


LAYERS = "/surveys/truth"


def test_the_follow_up_layer_maps_the_list_on_every_door(client, analyst, truth_wave):
    listed = client.get(f"{BASE}/follow-up", params={"limit": 10}, headers=analyst).json()
    items = client.get(
        f"{LAYERS}/ogc/collections/follow_up/items",
        params={"limit": 10000}, headers=analyst,
    )  # fmt: skip
    wfs = client.get(
        f"{LAYERS}/wfs",
        params={"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature",
                "TYPENAMES": "follow_up", "RESULTTYPE": "hits"},
        headers=analyst,
    )  # fmt: skip
    tile = client.get(f"{LAYERS}/tiles/follow_up/5/17/11.mvt", headers=analyst)
    export = client.get(f"{LAYERS}/exports/follow_up.csv", headers=analyst)

    assert items.status_code == wfs.status_code == tile.status_code == export.status_code == 200
    features = {f["properties"]["code"]: f for f in items.json()["features"]}
    assert len(features) == len(truth_wave.truth.silent()) == listed["total"]
    assert f'numberMatched="{listed["total"]}"' in wfs.text
    for row in listed["items"]:
        mapped = features[row["code"]]
        props = mapped["properties"]
        assert (props["rank"], props["p_workers_present"]) == (
            row["rank"],
            row["p_workers_present"],
        )
        assert props["reasons"] == "; ".join(row["reasons"])
        assert props["estimate"] == "model" and props["fit_id"] == listed["model"]["fit_id"]
        assert mapped["geometry"]["type"] == "MultiPolygon"
    assert len(tile.content) > 1000
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == listed["total"]
    assert {"code", "rank", "p_workers_present", "reasons"} <= set(rows[0])


def test_indicators_say_their_coverage_and_only_analysts_get_the_estimate(client, analyst):
    public = client.get(f"{BASE}/indicators", params={"level": "region"}).json()["items"]
    full = client.get(f"{BASE}/indicators", params={"level": "region"}, headers=analyst)
    progress = client.get(f"{BASE}/progress", params={"level": "region"}).json()["items"]
    public_csv = client.get(f"{BASE}/indicators", params={"level": "region", "f": "csv"})

    coverage = {p["code"]: p for p in progress}
    for row in public:
        unit = coverage[row["code"]]
        assert row["coverage_population"] == pytest.approx(unit["coverage_population"], abs=2e-6)
        assert row["coverage_area"] == pytest.approx(unit["coverage_area"], abs=2e-6)
        assert row["low_coverage"] is unit["low_coverage"]
        assert not [k for k in row if k.startswith("workers_present_expected")]
    assert "workers_present_expected" not in public_csv.text
    assert "coverage_population" in public_csv.text.splitlines()[0]
    assert any(r["low_coverage"] for r in public) and not all(r["low_coverage"] for r in public)
    assert "model" not in client.get(f"{BASE}/indicators", params={"level": "region"}).json()
    model = full.json()["model"]
    assert model["estimate"] == "model" and model["kind"] == "logistic_regression"
    for row in full.json()["items"]:
        low, high = row["workers_present_expected_low"], row["workers_present_expected_high"]
        assert row["workers_present"] <= low <= row["workers_present_expected"] <= high
    layer = client.get(
        f"{LAYERS}/ogc/collections/indicators_region/items", params={"limit": 100}
    ).json()["features"]  # fmt: skip
    assert {"coverage_population", "coverage_area", "low_coverage"} <= set(layer[0]["properties"])
    assert not [k for f in layer for k in f["properties"] if k.startswith("workers_present_exp")]
    analysts_layer = client.get(
        f"{LAYERS}/ogc/collections/indicators_region/items",
        params={"limit": 100}, headers=analyst,
    ).json()["features"]  # fmt: skip
    assert all(f["properties"]["workers_present_expected"] is not None for f in analysts_layer)
