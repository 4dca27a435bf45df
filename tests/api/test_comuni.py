"""REST: the comuni reference geography."""

from __future__ import annotations

import pyogrio
import pytest

from app.geo.reference.istat import fold
from tests.utils.databases import DATA


def test_san_severo_with_population(client):
    r = client.get("/api/v1/comuni/071051", params={"vintage": 2021})

    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "San Severo"
    assert (body["province_acronym"], body["region_name"], body["ripartizione"]) == (
        "FG", "Puglia", "Sud",
    )  # fmt: skip
    assert body["population_2011"] == 54906
    assert 300 < body["area_km2"] < 360


def test_feature_with_geometry(client):
    r = client.get("/api/v1/comuni/071051", params={"vintage": 2021, "geometry": "true"})

    feature = r.json()
    assert r.status_code == 200
    assert feature["type"] == "Feature" and feature["id"] == "071051"
    assert feature["geometry"]["type"] == "MultiPolygon"
    assert feature["properties"]["name"] == "San Severo"
    lons = [pt[0] for ring in feature["geometry"]["coordinates"][0] for pt in ring]
    assert 15.2 < min(lons) < max(lons) < 15.6


def test_comune_at_point(client):
    r = client.get("/api/v1/comuni/at", params={"lon": 15.3806, "lat": 41.6867, "vintage": 2021})

    assert r.status_code == 200
    assert r.json()["code"] == "071051"


def test_point_at_sea_is_not_found(client):
    r = client.get("/api/v1/comuni/at", params={"lon": 16.0, "lat": 42.5, "vintage": 2021})

    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_search_ignores_case_and_accents(client):
    r = client.get("/api/v1/comuni", params={"q": "forli", "vintage": 2021})

    body = r.json()
    assert r.status_code == 200
    assert body["items"][0]["name"] == "Forlì"  # the exact name ranks first
    assert {i["name"] for i in body["items"]} >= {"Forlì", "Forlimpopoli"}
    assert body["total"] == len(body["items"])


def test_list_pages_with_total(client):
    first = client.get("/api/v1/comuni", params={"vintage": 2021, "limit": 5}).json()
    second = client.get("/api/v1/comuni", params={"vintage": 2021, "limit": 5, "offset": 5}).json()

    assert first["total"] == second["total"] == 7903
    assert (first["limit"], first["offset"], second["offset"]) == (5, 0, 5)
    codes = [i["code"] for i in first["items"] + second["items"]]
    assert codes == sorted(codes) and len(set(codes)) == 10


@pytest.fixture(scope="module")
def source_2021():
    """The shipped 2021 file, read directly, to count what the filters should find."""
    return pyogrio.read_dataframe(DATA / "comuni_2021.gpkg", read_geometry=False)


@pytest.mark.parametrize(
    ("params", "expect"),
    [
        ({"province": "FG"}, lambda df: df.prov_acr == "FG"),
        ({"province": "071"}, lambda df: df.prov_istat_code == "071"),
        ({"region": "16"}, lambda df: df.reg_istat_code == "16"),
        (
            {"region": "puglia", "province": "FG", "q": "SAN"},
            lambda df: (df.prov_acr == "FG") & df["name"].map(fold).str.contains("san"),
        ),
    ],
)
def test_filters(client, source_2021, params, expect):
    r = client.get("/api/v1/comuni", params={"vintage": 2021, "limit": 1000, **params})

    assert r.status_code == 200
    expected = sorted(source_2021[expect(source_2021)].com_istat_code)
    assert r.json()["total"] == len(expected) > 0
    assert sorted(i["code"] for i in r.json()["items"]) == expected


def test_newest_vintage_is_the_default(client):
    r = client.get("/api/v1/comuni/071051")

    assert r.json()["vintage"] == 2023


def test_unknown_code_names_it(client):
    r = client.get("/api/v1/comuni/071999", params={"vintage": 2021})

    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
    assert "071999" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("url", "params", "path"),
    [
        ("/api/v1/comuni/71051", {}, "code"),
        ("/api/v1/comuni", {"limit": 0}, "limit"),
        ("/api/v1/comuni", {"offset": -1}, "offset"),
        ("/api/v1/comuni/at", {"lon": 200, "lat": 41}, "lon"),
        ("/api/v1/comuni/at", {"lat": 41}, "lon"),
        ("/api/v1/comuni", {"vintage": "abc"}, "vintage"),
    ],
)
def test_bad_parameters_answer_422_with_the_parameter(client, url, params, path):
    r = client.get(url, params=params)

    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "validation_failed"
    assert [d["path"] for d in error["details"]] == [path]


def test_unloaded_vintage_is_not_found(client):
    r = client.get("/api/v1/comuni", params={"vintage": 2019})

    assert r.status_code == 404
    assert "2019" in r.json()["error"]["message"]
