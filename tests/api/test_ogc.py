"""OGC API Features on the reference layers: Part 1 Core (GeoJSON, HTML), Part 2 CRS, queryables."""

from __future__ import annotations

import json

import pytest

from tests.utils.layers import layer_client, open_wave

SAN_SEVERO = "071051"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"


@pytest.fixture
def client(app, session):
    with layer_client(app, session) as c:
        yield c


def rel(doc: dict, name: str, media: str | None = None) -> str:
    return next(
        x["href"]
        for x in doc["links"]
        if x["rel"] == name and (media is None or x["type"] == media)
    )


def test_landing_page_links_what_qgis_and_gdal_look_for(client):
    doc = client.get("/ogc").json()

    assert rel(doc, "service-desc", "application/vnd.oai.openapi+json;version=3.0").endswith(
        "/ogc/api"
    )
    assert rel(doc, "data", "application/json").endswith("/ogc/collections")
    assert rel(doc, "conformance").endswith("/ogc/conformance")


def test_conformance_declares_core_geojson_html_crs_and_queryables(client):
    classes = client.get("/ogc/conformance").json()["conformsTo"]

    for part in ("1/1.0/conf/core", "1/1.0/conf/geojson", "1/1.0/conf/html", "2/1.0/conf/crs"):
        assert f"http://www.opengis.net/spec/ogcapi-features-{part}" in classes
    assert any(c.endswith("/conf/queryables") for c in classes)


def test_collections_have_plain_ids_crs_lists_and_extents(client):
    doc = client.get("/ogc/collections").json()

    ids = [c["id"] for c in doc["collections"]]
    assert ids == ["comuni_2021", "comuni_2023"]
    assert not any("." in i for i in ids)
    comuni = doc["collections"][1]
    assert comuni["storageCrs"] == CRS84
    assert comuni["crs"] == [CRS84] + [f"{EPSG}{n}" for n in (4326, 3857, 32632, 32633, 3035)]
    minx, miny, maxx, maxy = comuni["extent"]["spatial"]["bbox"][0]
    assert 6.5 < minx < 6.7 and 47.0 < maxy < 47.2
    assert rel(comuni, "items", "application/geo+json").endswith("/collections/comuni_2023/items")


def test_one_collection(client):
    doc = client.get("/ogc/collections/comuni_2023").json()

    assert doc["id"] == "comuni_2023" and doc["itemType"] == "feature"


def test_items_page_with_counts_and_links(client):
    r = client.get("/ogc/collections/comuni_2023/items?limit=5&offset=10")

    assert r.status_code == 200
    assert r.headers["content-type"] == "application/geo+json"
    assert r.headers["content-crs"] == f"<{CRS84}>"
    doc = r.json()
    assert (doc["numberMatched"], doc["numberReturned"], len(doc["features"])) == (7899, 5, 5)
    assert "offset=15" in rel(doc, "next") and "offset=5" in rel(doc, "prev")
    ids = [f["id"] for f in doc["features"]]
    assert ids == sorted(ids)


def test_following_next_links_yields_every_feature_once(client):
    url, seen = "/ogc/collections/comuni_2023/items?limit=2000", []
    while url:
        doc = json.loads(client.get(url).content)  # httpx's .json() guesses the charset: slow
        seen += [f["id"] for f in doc["features"]]
        url = next((x["href"] for x in doc["links"] if x["rel"] == "next"), None)

    assert len(seen) == 7899 == len(set(seen))


def test_bbox_in_crs84_and_in_bbox_crs(client):
    crs84 = client.get("/ogc/collections/comuni_2023/items?bbox=15.37,41.68,15.39,41.70").json()
    latlon = client.get(
        "/ogc/collections/comuni_2023/items",
        params={"bbox": "41.68,15.37,41.70,15.39", "bbox-crs": f"{EPSG}4326"},
    ).json()
    mercator = client.get(
        "/ogc/collections/comuni_2023/items",
        params={"bbox": "1711000,5113000,1713000,5115000", "bbox-crs": f"{EPSG}3857"},
    ).json()

    for doc in (crs84, latlon, mercator):
        assert SAN_SEVERO in [f["id"] for f in doc["features"]]
        assert doc["numberMatched"] < 5


@pytest.mark.parametrize(
    ("crs", "lat_first"), [(None, False), (CRS84, False), (f"{EPSG}4326", True)]
)
def test_crs_parameter_sets_axis_order_and_content_crs(client, crs, lat_first):
    r = client.get(
        f"/ogc/collections/comuni_2023/items/{SAN_SEVERO}", params={"crs": crs} if crs else {}
    )

    assert r.status_code == 200
    assert r.headers["content-crs"] == f"<{crs or CRS84}>"
    a, b = r.json()["geometry"]["coordinates"][0][0][0]
    lat, lon = (a, b) if lat_first else (b, a)
    assert 41.4 < lat < 41.9 and 15.1 < lon < 15.6


def test_projected_crs_writes_metres(client):
    r = client.get(f"/ogc/collections/comuni_2023/items/{SAN_SEVERO}?crs={EPSG}32633")

    easting, northing = r.json()["geometry"]["coordinates"][0][0][0]
    assert 520_000 < easting < 560_000 and 4_580_000 < northing < 4_640_000


def test_single_item_with_links(client):
    doc = client.get(f"/ogc/collections/comuni_2023/items/{SAN_SEVERO}").json()

    assert doc["type"] == "Feature" and doc["id"] == SAN_SEVERO
    assert doc["properties"]["name"] == "San Severo"
    assert doc["geometry"]["type"] == "MultiPolygon"
    assert rel(doc, "collection").endswith("/ogc/collections/comuni_2023")


def test_unknown_item_and_collection_are_404(client):
    assert client.get("/ogc/collections/comuni_2023/items/999999").status_code == 404
    assert client.get("/ogc/collections/comuni.2023/items").status_code == 404


def test_queryables_are_a_json_schema_of_the_fields(client):
    r = client.get("/ogc/collections/comuni_2023/queryables")

    assert r.headers["content-type"].startswith("application/schema+json")
    props = r.json()["properties"]
    assert props["code"]["type"] == "string"
    assert props["population_2011"]["type"] == "integer"
    assert props["area_km2"]["type"] == "number"
    assert props["geom"]["format"] == "geometry-multipolygon"


def test_simple_property_filters(client):
    doc = client.get("/ogc/collections/comuni_2023/items?province_acronym=FG&limit=100").json()
    one = client.get("/ogc/collections/comuni_2023/items?name=San Severo").json()

    assert doc["numberMatched"] == 61
    assert {f["properties"]["province_acronym"] for f in doc["features"]} == {"FG"}
    assert [f["id"] for f in one["features"]] == [SAN_SEVERO]


@pytest.mark.parametrize(
    "query",
    ["colour=red", "limit=0", "limit=10001", "limit=x", "offset=-1", "bbox=1,2,3", "crs=EPSG:2000",
     "population_2011=many", "f=xml"],
)  # fmt: skip
def test_bad_parameters_are_400(client, query):
    r = client.get(f"/ogc/collections/comuni_2023/items?{query}")

    assert r.status_code == 400, r.text
    assert r.json()["error"]["message"]


def test_html_pages(client):
    landing = client.get("/ogc", headers={"Accept": "text/html,application/xhtml+xml"})
    items = client.get("/ogc/collections/comuni_2023/items?f=html&limit=3&name=San Severo")
    item = client.get(f"/ogc/collections/comuni_2023/items/{SAN_SEVERO}?f=html")
    collections = client.get("/ogc/collections?f=html")

    for page in (landing, items, item, collections):
        assert page.headers["content-type"].startswith("text/html")
    assert "San Severo" in items.text and "San Severo" in item.text
    assert "comuni_2023" in collections.text


def test_api_definition_gives_limits_and_simple_queryables(client):
    r = client.get("/ogc/api")

    assert r.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    doc = r.json()
    assert doc["components"]["parameters"]["limit"]["schema"]["maximum"] == 10000
    names = [
        p.get("name") for p in doc["paths"]["/collections/comuni_2023/items"]["get"]["parameters"]
    ]
    assert "province_acronym" in names


def test_a_wave_serves_its_comuni(client, session):
    open_wave(session, "wave-ogc", vintage=2021)

    collections = client.get("/surveys/wave-ogc/ogc/collections").json()
    items = client.get("/surveys/wave-ogc/ogc/collections/comuni/items?limit=1").json()

    assert "comuni" in [c["id"] for c in collections["collections"]]
    assert items["numberMatched"] == 7903
    assert "/surveys/wave-ogc/ogc/collections/comuni/items" in rel(items, "next")
