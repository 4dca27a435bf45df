"""Exports of whole layers: GeoPackage, CSV with WKT, GeoJSON."""

from __future__ import annotations

import csv
import io
import json

import pyogrio
import pytest
import shapely
from pyogrio import raw

from tests.utils.layers import layer_client

SAN_SEVERO = "071051"


@pytest.fixture
def client(app, session):
    with layer_client(app, session) as c:
        yield c


def test_geopackage_of_a_whole_layer(client, tmp_path):
    r = client.get("/exports/comuni_2023.gpkg")

    assert r.status_code == 200
    assert r.headers["content-type"] == "application/geopackage+sqlite3"
    assert 'filename="comuni_2023.gpkg"' in r.headers["content-disposition"]
    path = tmp_path / "comuni_2023.gpkg"
    path.write_bytes(r.content)
    info = pyogrio.read_info(path, layer="comuni_2023")
    assert (info["features"], info["geometry_type"], info["crs"]) == (
        7899,
        "MultiPolygon",
        "EPSG:4326",
    )
    assert list(info["fields"])[:2] == ["code", "name"]
    assert dict(zip(info["fields"], info["dtypes"], strict=True))["population_2011"] == "int32"
    _, _, geometries, values = raw.read(path, where=f"code = '{SAN_SEVERO}'")
    centre = shapely.centroid(shapely.from_wkb(geometries[0]))
    assert abs(centre.x - 15.38) < 0.05 and abs(centre.y - 41.69) < 0.05
    assert values[1][0] == "San Severo"


def test_csv_with_wkt_in_a_projected_crs(client):
    r = client.get("/exports/comuni_2021.csv?crs=EPSG:32633")

    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 7903
    san_severo = next(row for row in rows if row["code"] == SAN_SEVERO)
    centre = shapely.centroid(shapely.from_wkt(san_severo["WKT"]))
    assert 520_000 < centre.x < 560_000 and 4_580_000 < centre.y < 4_640_000
    assert san_severo["province_acronym"] == "FG"


def test_geojson_export(client):
    doc = json.loads(client.get("/exports/comuni_2023.geojson").content)

    assert doc["name"] == "comuni_2023" and len(doc["features"]) == 7899


def test_export_index_and_unknown_layers(client):
    index = client.get("/exports").json()

    assert [x["name"] for x in index["layers"]] == ["comuni_2021", "comuni_2023"]
    assert client.get("/exports/nowhere.gpkg").status_code == 404
    assert client.get("/exports/comuni_2023.shp").status_code == 422
