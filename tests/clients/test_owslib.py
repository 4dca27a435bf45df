"""OWSLib (PyPI), the Python WFS and OGC API Features client, against the live service."""

from __future__ import annotations

import json

import pytest
from lxml import etree
from owslib.ogcapi.features import Features
from owslib.wfs import WebFeatureService

from tests.utils.clients import SAN_SEVERO

pytestmark = [pytest.mark.clients, pytest.mark.database("own")]

NS = {"wfs": "http://www.opengis.net/wfs/2.0", "incas": "urn:incas-census:layers"}


@pytest.mark.parametrize("version", ["2.0.0", "1.1.0"])
def test_owslib_reads_the_capabilities(layers_url, version):
    wfs = WebFeatureService(f"{layers_url}/wfs", version=version)

    assert list(wfs.contents) == [
        "incas:comuni_2021",
        "incas:comuni_2023",
        "incas:suppressed_comuni",
    ]
    comuni = wfs.contents["incas:comuni_2023"]
    minx, miny, maxx, maxy = comuni.boundingBoxWGS84
    assert 6.5 < minx < 6.7 and 47.0 < maxy < 47.2
    assert {"GetCapabilities", "DescribeFeatureType", "GetFeature"} <= {
        op.name for op in wfs.operations
    }


def test_owslib_reads_the_schema(layers_url):
    wfs = WebFeatureService(f"{layers_url}/wfs", version="2.0.0")

    schema = wfs.get_schema("incas:comuni_2023")

    # OWSLib names gml:MultiSurfacePropertyType the Fiona way.
    assert schema["geometry"].endswith("MultiPolygon") and schema["geometry_column"] == "geom"
    assert schema["properties"]["population_2011"] == "int"
    assert schema["properties"]["area_km2"] == "double"


def test_owslib_pages_with_startindex(layers_url):
    wfs = WebFeatureService(f"{layers_url}/wfs", version="2.0.0")

    pages = [
        etree.fromstring(
            wfs.getfeature(typename=["incas:comuni_2023"], maxfeatures=500, startindex=start).read()
        )
        for start in (0, 500)
    ]

    ids = [m[0].get("{http://www.opengis.net/gml/3.2}id") for p in pages for m in p]
    assert len(ids) == 1000 == len(set(ids))
    assert pages[0].get("numberMatched") == "7899"


def test_owslib_bbox_and_json(layers_url):
    wfs = WebFeatureService(f"{layers_url}/wfs", version="1.1.0")

    answer = wfs.getfeature(
        typename=["incas:comuni_2023"], bbox=(15.37, 41.68, 15.39, 41.70, "EPSG:4326"),
        outputFormat="application/json",
    )  # fmt: skip

    codes = [f["properties"]["code"] for f in json.loads(answer.read())["features"]]
    assert SAN_SEVERO in codes and len(codes) < 5


def test_owslib_with_basic_auth_sees_the_restricted_layer(layers_url, analyst_secret):
    wfs = WebFeatureService(
        f"{layers_url}/wfs", version="2.0.0", username="analyst", password=analyst_secret
    )

    assert "incas:secret_points" in wfs.contents
    doc = etree.fromstring(wfs.getfeature(typename=["incas:secret_points"], maxfeatures=10).read())
    assert doc.get("numberMatched") == "257"


def test_owslib_ogc_api_features(layers_url):
    api = Features(f"{layers_url}/ogc")

    assert set(api.feature_collections()) == {"comuni_2021", "comuni_2023", "suppressed_comuni"}
    page = api.collection_items("comuni_2023", limit=5, name="San Severo")
    queryables = api.collection_queryables("comuni_2023")

    assert [f["id"] for f in page["features"]] == [SAN_SEVERO]
    assert page["numberMatched"] == 1
    assert queryables["properties"]["code"]["type"] == "string"
