"""QGIS 3.22 loads every layer of a survey wave, through WFS 2.0, WFS 1.1 and OGC API.

Public layers load anonymously; restricted ones with Basic auth (an analyst token as the
password) and not at all without it. For each: the geometry type, the fields, every feature
once, and a known feature where PostGIS says it is.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.census.surveys import get_survey
from app.geo import hotspots
from app.geo.publication import FIELDS
from tests.clients.conftest import SAN_SEVERO, near, run_qgis
from tests.clients.conftest import qgis_spec as spec

pytestmark = pytest.mark.clients

PROTOCOLS = ["wfs-2.0", "wfs-1.1", "oapif"]
PUBLIC = ["comuni", "indicators_comune", "indicators_province", "indicators_region"]
RESTRICTED = ["formal_settlements", "informal_settlements", "settlement_clusters", "hotspots"]
GEOMETRY = {
    "comuni": "MultiPolygon", "indicators_comune": "MultiPolygon",
    "indicators_province": "MultiPolygon", "indicators_region": "MultiPolygon",
    "formal_settlements": "Point", "informal_settlements": "Point",
    "settlement_clusters": "Polygon", "hotspots": "MultiPolygon",
}  # fmt: skip
# The field and value of a feature to find, and the SQL of where it should be.
PROBES = {
    "comuni": ("code", SAN_SEVERO, "select ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) "
               "from comuni where vintage = 2021 and code = '071051'"),
    "indicators_comune": ("code", SAN_SEVERO, "select ST_X(ST_Centroid(geom)), "
                          "ST_Y(ST_Centroid(geom)) from comuni where vintage = 2021 "
                          "and code = '071051'"),
    "indicators_province": ("code", "071", "select ST_X(ST_Centroid(geom)), "
                            "ST_Y(ST_Centroid(geom)) from unit_boundaries where vintage = 2021 "
                            "and level = 'province' and code = '071'"),
    "indicators_region": ("code", "16", "select ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom))"
                          " from unit_boundaries where vintage = 2021 and level = 'region' "
                          "and code = '16'"),
    "formal_settlements": ("id", None, "select id, ST_X(point), ST_Y(point) from "
                           "formal_settlements where survey_id = :s order by id limit 1"),
    "informal_settlements": ("id", None, "select id, ST_X(point), ST_Y(point) from "
                             "informal_settlements where survey_id = :s order by id limit 1"),
    "settlement_clusters": ("cluster", "1", None),
    "hotspots": ("code", SAN_SEVERO, "select ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) "
                 "from comuni where vintage = 2021 and code = '071051'"),
}  # fmt: skip


@pytest.fixture(scope="module")
def expected(engine, national_survey) -> dict:
    """Feature counts and probe positions, from the database; hot spots computed once."""
    with Session(engine) as session, session.begin():
        survey = get_survey(session, national_survey)
        hotspots.hotspots(session, survey, "informal_persons_mid", 99, 1)
        s = survey.id
        counts = {
            "comuni": 7903, "indicators_comune": 7903, "indicators_province": 107,
            "indicators_region": 20, "hotspots": 7903,
            "formal_settlements": session.scalar(
                text("select count(*) from formal_settlements where survey_id = :s"), {"s": s}),
            "informal_settlements": session.scalar(
                text("select count(*) from informal_settlements where survey_id = :s"), {"s": s}),
        }  # fmt: skip
        probes = {}
        for layer, (field, value, sql) in PROBES.items():
            if sql is None:
                probes[layer] = (field, value, None)
                continue
            row = session.execute(text(sql), {"s": s}).one()
            if value is None:  # a settlement: its id, then its point
                probes[layer] = (field, str(row[0]), (row[1], row[2]))
            else:
                probes[layer] = (field, value, (row[0], row[1]))
    clusters = session_clusters(engine, national_survey)
    counts["settlement_clusters"] = clusters
    return {"counts": counts, "probes": probes}


def session_clusters(engine, code) -> int:
    from app.geo.clusters import clusters

    with Session(engine) as session:
        return len(clusters(session, get_survey(session, code)))


@pytest.fixture(scope="module")
def qgis(layers_url, analyst_secret, national_survey, expected) -> dict:
    base = f"{layers_url}/surveys/{national_survey}"
    specs = {}
    for protocol in PROTOCOLS:
        for layer in PUBLIC:
            field, value, _ = expected["probes"][layer]
            specs[(layer, protocol)] = spec(protocol, base, layer, probe=(field, value))
        for layer in RESTRICTED:
            field, value, _ = expected["probes"][layer]
            specs[(layer, protocol)] = spec(protocol, base, layer, analyst_secret, (field, value))
            specs[(layer, protocol, "anonymous")] = spec(protocol, base, layer)
    reports = run_qgis(list(specs.values()), timeout=600)
    return dict(zip(specs, reports, strict=True))


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("layer", PUBLIC + RESTRICTED)
def test_qgis_loads_the_layer(qgis, expected, layer, protocol):
    report = qgis[(layer, protocol)]

    assert report["valid"], report
    assert report["geometry_type"] == GEOMETRY[layer], report
    assert report["iterated"] == report["distinct_ids"] == expected["counts"][layer], report
    fields = [f for f in report["fields"] if f != "id" or layer.endswith("settlements")]
    if layer.startswith("indicators_"):
        assert fields == ["code", "name", *FIELDS, "suppressed", "suppressed_fields"]
    _, _, position = expected["probes"][layer]
    if position is not None:
        assert report["centroid"] is not None, report
        assert near(report["centroid"], position, tolerance=1e-3), (report["centroid"], position)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("layer", RESTRICTED)
def test_qgis_cannot_open_restricted_layers_anonymously(qgis, layer, protocol):
    report = qgis[(layer, protocol, "anonymous")]

    assert not report["valid"], report
