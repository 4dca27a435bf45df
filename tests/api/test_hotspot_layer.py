"""The `hotspots` map layer shows a defined Gi* run: the wave's defaults, or what an analyst pinned.

An exploratory call of the hot-spots endpoint must never become everyone's layer.
"""

from __future__ import annotations

import pytest

from app.census.responses import submit
from tests.utils.auth import ADMIN, bearer, token
from tests.utils.documents import document, open_survey
from tests.utils.layers import layer_client

BASE = "/api/v1/surveys/test-wave"
ITEMS = "/surveys/test-wave/ogc/collections/hotspots/items"
DEFAULTS = {"indicator": "informal_persons_mid", "permutations": 999, "seed": 0,
            "nonresponse": "missing"}  # fmt: skip


@pytest.fixture
def client(app, session):
    with layer_client(app, session) as c:
        yield c


@pytest.fixture
def analyst(session):
    survey = open_survey(session)
    for code in ("071051", "071024", "071020"):
        submit(session, survey, ADMIN, document(code))
    session.flush()
    return bearer(token(session, "analyst", label="Analista"))


def layer_run(client, analyst) -> dict:
    """The Gi* parameters the layer's features name, and how many features there are."""
    # The layer's rows come from one stored run: a page of them shows its parameters.
    r = client.get(ITEMS, params={"limit": 50}, headers=analyst)
    assert r.status_code == 200, r.text
    names = ("indicator", "permutations", "seed", "nonresponse", "pinned")
    runs = {tuple(f["properties"][n] for n in names) for f in r.json()["features"]}
    assert len(runs) == 1, runs
    return {**dict(zip(names, runs.pop(), strict=True)), "features": r.json()["numberMatched"]}


def test_an_exploratory_run_does_not_become_the_layer(client, analyst):
    explored = client.get(
        f"{BASE}/hotspots",
        headers=analyst,
        params={"indicator": "workers_stable", "permutations": 5, "seed": 3},
    )
    assert explored.status_code == 200  # fmt: skip

    assert layer_run(client, analyst) == {**DEFAULTS, "pinned": False, "features": 7903}


def test_an_analyst_pins_the_layers_run_and_unpins_it(client, analyst):
    pinned = {"indicator": "workers_stable", "permutations": 9, "seed": 4, "nonresponse": "zero"}

    r = client.post(f"{BASE}/hotspots/pin", json=pinned, headers=analyst)

    assert r.status_code == 200, r.text
    assert {**pinned, "pinned": True, "pinned_by": "analyst:Analista"}.items() <= r.json().items()
    assert layer_run(client, analyst) == {**pinned, "pinned": True, "features": 7903}
    assert client.get(f"{BASE}/hotspots/pin", headers=analyst).json()["pinned"] is True

    r = client.delete(f"{BASE}/hotspots/pin", headers=analyst)

    assert r.status_code == 200 and r.json() == {
        **DEFAULTS,
        "pinned": False,
        "pinned_by": None,
        "pinned_at": None,
    }
    assert layer_run(client, analyst)["permutations"] == 999


def test_only_analysts_pin_and_a_bad_pin_names_its_field(client, session, analyst):
    respondent = bearer(token(session, "respondent", ("071051",)))

    assert client.post(f"{BASE}/hotspots/pin", json={}).status_code == 401
    assert client.post(f"{BASE}/hotspots/pin", json={}, headers=respondent).status_code == 403
    bad = client.post(f"{BASE}/hotspots/pin", json={"indicator": "invited"}, headers=analyst)
    assert bad.status_code == 422
    assert [d["path"] for d in bad.json()["error"]["details"]] == ["indicator"]


def test_the_layer_leaves_silent_comuni_out_of_the_statistic(client, analyst):
    r = client.get(ITEMS, params={"limit": 10000}, headers=analyst)
    features = [f["properties"] for f in r.json()["features"]]

    silent = [f for f in features if not f["responded"]]
    assert len(silent) == 7903 - 3
    assert all(f["z"] is None and f["hotspot_class"] is None for f in silent)
    assert all(f["z"] is not None for f in features if f["responded"])
    assert all(f["responded"] for f in features if f["island"])
    client.post(f"{BASE}/hotspots/pin", json={"nonresponse": "zero"}, headers=analyst)
    zero = client.get(ITEMS, params={"limit": 10000}, headers=analyst).json()["features"]
    assert all(f["properties"]["z"] is not None for f in zero)
