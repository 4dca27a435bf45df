"""Hot spots (Gi*) and settlement clusters (DBSCAN), for analysts only."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.census.responses import submit
from tests.utils.auth import ADMIN, bearer, token
from tests.utils.documents import open_survey

BASE = "/api/v1/surveys/test-wave"


def workers(code: str, stable: int) -> dict:
    return {
        "submission_id": f"00000000-0000-4000-8000-{int(code):012d}",
        "comune_code": code,
        "respondent": {"name": "R", "email": "r@example.it"},
        "workers_present": True,
        "workers": {"stable": stable},
    }


@pytest.fixture
def analyst(session):
    return bearer(token(session, "analyst"))


@pytest.fixture
def planted(session):
    """San Severo and its contiguous comuni report many workers; 200 comuni far away, few."""
    survey = open_survey(session)
    cluster = ["071051"] + list(
        session.scalars(
            text(
                "select neighbour from comune_neighbours where vintage = 2021 "
                "and code = '071051' order by neighbour"
            )
        )
    )
    for code in cluster:
        submit(session, survey, ADMIN, workers(code, 2000))
    others = session.scalars(
        text(
            "select code from comuni where vintage = 2021 and region_code in ('01', '03') "
            "order by code limit 200"
        )
    )
    for i, code in enumerate(others):
        submit(session, survey, ADMIN, workers(code, i % 7))
    session.flush()
    return cluster


def test_planted_cluster_is_a_hot_spot_and_seeds_repeat(client, analyst, planted):
    params = {"indicator": "workers_stable", "permutations": 999, "seed": 42}

    first = client.get(f"{BASE}/hotspots", params=params, headers=analyst)
    again = client.get(f"{BASE}/hotspots", params=params, headers=analyst)

    assert first.status_code == 200, first.text
    body = first.json()
    items = {i["code"]: i for i in body["items"]}
    assert body["total"] == len(items) == 7903
    assert items["071051"]["class"] == "hot_99"
    assert sum(items[c]["class"].startswith("hot") for c in planted) >= len(planted) - 1
    assert items["001001"]["class"] == "not_significant"
    assert {"z", "p", "p_fdr", "p_sim", "value", "name"} <= set(items["071051"])
    assert again.json()["stored"] is True and body["stored"] is False
    assert [i["class"] for i in again.json()["items"]] == [i["class"] for i in body["items"]]
    other_seed = client.get(f"{BASE}/hotspots", params={**params, "seed": 7}, headers=analyst)
    assert other_seed.json()["stored"] is False


def test_islands_take_part_with_their_nearest_comune(client, analyst, planted):
    params = {"indicator": "workers_stable", "nonresponse": "zero"}
    items = client.get(f"{BASE}/hotspots", params=params, headers=analyst).json()["items"]

    borrowed = [i for i in items if i["nearest_neighbour_borrowed"]]
    assert borrowed and all(i["neighbours"] >= 1 for i in items)
    assert any(i["name"] == "Lampedusa e Linosa" for i in borrowed)


def test_silent_comuni_take_no_part_by_default(client, analyst, planted):
    body = client.get(
        f"{BASE}/hotspots", params={"indicator": "workers_stable"}, headers=analyst
    ).json()  # fmt: skip

    assert body["nonresponse"] == "missing"
    silent = [i for i in body["items"] if not i["responded"]]
    tested = [i for i in body["items"] if i["responded"]]
    assert len(silent) == 7903 - body["summary"]["respondents"] and len(tested) > 20
    assert all(i[k] is None for i in silent for k in ("z", "p", "p_fdr", "class", "neighbours"))
    assert all(i["z"] is not None and i["neighbours"] >= 1 for i in tested)
    islands = [i["code"] for i in tested if i["island"]]
    assert (
        body["summary"]["islands"] == len(islands) and body["summary"]["island_comuni"] == islands
    )


def test_hotspots_are_for_analysts(client, session, planted):
    respondent = bearer(token(session, "respondent", ("071051",)))
    params = {"indicator": "workers_stable"}

    assert client.get(f"{BASE}/hotspots", params=params).status_code == 401
    assert client.get(f"{BASE}/hotspots", params=params, headers=respondent).status_code == 403


def test_unknown_indicator_is_422(client, analyst, planted):
    r = client.get(f"{BASE}/hotspots", params={"indicator": "invited"}, headers=analyst)

    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["path"] == "indicator"


def _points_near_border(session, code: str, border: tuple[float, float], n: int) -> list:
    """n points inside a comune, a few hundred metres from a shared border point."""
    rows = session.execute(
        text(
            "select ST_X(p), ST_Y(p) from (select ST_Transform(ST_ClosestPoint(ST_Buffer("
            "ST_Transform(geom, 3035), -300 - 150 * g), ST_Transform(ST_SetSRID("
            "ST_MakePoint(:x, :y), 4326), 3035)), 4326) p from comuni, generate_series(0, :n - 1)"
            " g where vintage = 2021 and code = :code) s"
        ),
        {"x": border[0], "y": border[1], "n": n, "code": code},
    ).all()
    return [[round(x, 6), round(y, 6)] for x, y in rows]


def test_a_cluster_spans_two_comuni_in_two_provinces(client, session, analyst):
    survey = open_survey(session)
    border = (15.839468712478537, 41.127579081802836)  # Cerignola (FG) meets Lavello (PZ)
    for code in ("071020", "076043"):
        doc = workers(code, 50)
        doc["informal_settlements"] = [
            {"type": "shacks", "persons_min": 50, "persons_max": 100,
             "location": {"type": "Point", "coordinates": pt}}
            for pt in _points_near_border(session, code, border, 3)
        ]  # fmt: skip
        submit(session, survey, ADMIN, doc)
    far = workers("071051", 10)
    far["informal_settlements"] = [
        {"type": "tents", "persons_min": 5, "persons_max": 5,
         "location": {"type": "Point", "coordinates": [15.40, 41.62]}}
    ]  # fmt: skip
    submit(session, survey, ADMIN, far)
    session.flush()

    r = client.get(f"{BASE}/clusters", params={"eps_km": 2, "min_points": 3}, headers=analyst)

    assert r.status_code == 200, r.text
    clusters = r.json()["items"]
    assert len(clusters) == 1  # the lone settlement in San Severo is noise
    c = clusters[0]
    assert [x["code"] for x in c["comuni"]] == ["071020", "076043"]
    assert c["provinces"] == ["071", "076"] and c["regions"] == ["16", "17"]
    assert (c["settlements"], c["persons_min"], c["persons_max"]) == (6, 300, 600)
    assert c["hull"]["type"] == "Polygon"
    assert r.json() == client.get(f"{BASE}/clusters", params={"eps_km": 2, "min_points": 3},
                                  headers=analyst).json()  # fmt: skip
    tight = client.get(f"{BASE}/clusters", params={"eps_km": 0.05, "min_points": 3},
                       headers=analyst).json()  # fmt: skip
    assert tight["total"] == 0


def test_clusters_are_for_analysts(client, session):
    open_survey(session)

    assert client.get(f"{BASE}/clusters").status_code == 401


def test_sparse_data_gives_finite_z_scores(client, session, analyst):
    """One comune with workers, 99 permutations: many permutation spreads are zero."""
    survey = open_survey(session)
    submit(session, survey, ADMIN, workers("071051", 500))
    session.flush()

    params = {"indicator": "workers_stable", "permutations": 99, "seed": 1}
    r = client.get(f"{BASE}/hotspots", params=params, headers=analyst)

    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert all(abs(i["z"]) < 1e6 for i in items if i["responded"])
    assert len(items) == 7903
    zero = client.get(f"{BASE}/hotspots", params={**params, "nonresponse": "zero"},
                      headers=analyst).json()["items"]  # fmt: skip
    assert all(abs(i["z"]) < 1e6 for i in zero)
