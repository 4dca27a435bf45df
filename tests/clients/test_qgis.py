"""QGIS 3.22 (Debian python3-qgis), headless, loading the layers as analysts do.

One QGIS process loads every layer below and reports what it iterated; the tests read that
report. The key check: through WFS 2.0 with paging, QGIS gets exactly the 7,899 comuni of
2023, each once (MapServer 8.0 loses 8 this way, its pages having no stable order).
"""

from __future__ import annotations

import pytest

from tests.utils.clients import near, run_qgis
from tests.utils.clients import qgis_spec as spec

pytestmark = [pytest.mark.clients, pytest.mark.database("own")]

COMUNE_FIELDS = [
    "code", "name", "province_code", "province_name", "province_acronym", "region_code",
    "region_name", "ripartizione_code", "ripartizione", "population_2011", "area_km2",
]  # fmt: skip
PROTOCOLS = ["wfs-2.0", "wfs-1.1", "oapif"]


@pytest.fixture(scope="module")
def qgis(layers_url, analyst_secret) -> dict[str, dict]:
    """Load every layer of the checks below in one QGIS process; return its reports."""
    specs = {}
    for protocol in PROTOCOLS:
        specs[("comuni", protocol)] = spec(protocol, layers_url, "comuni_2023")
        specs[("secret", protocol)] = spec(protocol, layers_url, "secret_points", analyst_secret)
        specs[("anonymous", protocol)] = spec(protocol, layers_url, "secret_points")
        specs[("wrong password", protocol)] = spec(
            protocol, layers_url, "secret_points", "incas_wrong"
        )
    specs[("suppressed", "public")] = spec("wfs-2.0", layers_url, "suppressed_comuni")
    specs[("suppressed", "analyst")] = spec(
        "wfs-2.0", layers_url, "suppressed_comuni", analyst_secret
    )
    reports = run_qgis(list(specs.values()))
    return dict(zip(specs, reports, strict=True))


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_qgis_loads_every_comune_once_in_place(qgis, truth, protocol):
    report = qgis[("comuni", protocol)]

    assert report["valid"], report
    assert report["geometry_type"] == "MultiPolygon"
    assert [f for f in report["fields"] if f != "id"] == COMUNE_FIELDS
    assert report["iterated"] == 7899, report
    assert report["distinct_ids"] == report["distinct_codes"] == 7899, report
    assert near(report["centroid"], truth["centroid"]), report["centroid"]
    assert near(report["centroid"], (15.38, 41.69), tolerance=0.06)


def test_qgis_reads_wfs_field_types_from_the_schema(qgis):
    fields = qgis[("comuni", "wfs-2.0")]["fields"]

    assert fields["population_2011"] == "xsd:int" and fields["area_km2"] == "xsd:double"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_qgis_with_basic_auth_loads_the_restricted_points(qgis, truth, protocol):
    report = qgis[("secret", protocol)]

    assert report["valid"], report
    assert report["geometry_type"] == "Point"
    assert report["iterated"] == report["distinct_codes"] == 257, report
    assert near(report["centroid"], truth["point"]), report["centroid"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("who", ["anonymous", "wrong password"])
def test_qgis_cannot_open_the_restricted_layer_without_an_analyst_token(qgis, protocol, who):
    report = qgis[(who, protocol)]

    assert not report["valid"], report
    assert "iterated" not in report


def test_qgis_sees_suppressed_values_and_no_analyst_field_without_a_token(qgis):
    public, analyst = qgis[("suppressed", "public")], qgis[("suppressed", "analyst")]

    assert public["valid"] and analyst["valid"]
    assert list(public["fields"]) == ["code", "population"]
    assert list(analyst["fields"]) == ["code", "population", "area_km2"]
    assert public["iterated"] == analyst["iterated"] == 61
