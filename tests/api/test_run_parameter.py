"""`RUN=` (WFS) and `?run=` (OGC API, tiles, exports) name a run of the wave, or are refused.

A run of another wave, or one that does not exist, used to answer no areas at all: an analyst
could not tell a wrong id from an empty run. Anyone but an analyst has `run` ignored.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from tests.utils.world import WAVE, build_world

pytestmark = pytest.mark.database("own")

BASE = f"/surveys/{WAVE}"
MISSING = 987654


@pytest.fixture(scope="module")
def world(engine):
    return build_world(engine)


@pytest.fixture(scope="module")
def api(app, world):
    with TestClient(app) as client:
        yield client


def _requests(run: int) -> dict[str, str]:
    return {
        "wfs": f"{BASE}/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature"
        f"&TYPENAMES=incas:case_areas&OUTPUTFORMAT=application/json&RUN={run}",
        "ogc": f"{BASE}/ogc/collections/case_areas/items?run={run}",
        "ogc item": f"{BASE}/ogc/collections/case_areas/items/1?run={run}",
        "tiles": f"{BASE}/tiles/case_areas/8/138/95.mvt?run={run}",
        "exports": f"{BASE}/exports/case_areas.geojson?run={run}",
    }


DOORS = list(_requests(0))


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("whose", ["another wave's", "a missing"])
def test_a_run_the_wave_does_not_have_is_refused_naming_it(api, world, door, whose):
    run = world.other_run if whose == "another wave's" else MISSING

    r = api.get(_requests(run)[door], headers=world.headers["analyst"])

    assert r.status_code == 400, r.text
    message = f"run {run} is not a case-area run of survey {WAVE}"
    if door == "wfs":
        found = etree.fromstring(r.content).find("{http://www.opengis.net/ows/1.1}Exception")
        assert found.get("exceptionCode") == "InvalidParameterValue"
        assert found.findtext("{*}ExceptionText") == message
    else:
        error = r.json()["error"]
        assert (error["code"], error["message"]) == ("invalid_query", message)
        assert error["details"] == [{"path": "run", "message": message}]


@pytest.mark.parametrize("door", DOORS)
def test_the_waves_own_run_answers(api, world, door):
    r = api.get(_requests(world.run)[door], headers=world.headers["analyst"])

    assert r.status_code == 200, r.text
    if door in ("wfs", "ogc", "exports"):
        features = json.loads(r.content)["features"]
        assert [f["properties"]["run_id"] for f in features] == [world.run]


@pytest.mark.parametrize("role", ["anonymous", "respondent"])
def test_others_have_run_ignored_and_see_the_published_run(api, world, role):
    r = api.get(_requests(MISSING)["ogc"], headers=world.headers[role])
    analyst = api.get(_requests(world.published_run)["ogc"], headers=world.headers["analyst"])

    assert r.status_code == 200, r.text
    public = [(f["id"], f["properties"]["name"]) for f in r.json()["features"]]
    published = [(f["id"], f["properties"]["name"]) for f in analyst.json()["features"]]
    assert public == published and len(public) == 1
    assert "run_id" not in r.json()["features"][0]["properties"]
