"""QGIS 3.22 loads every layer of a survey wave, through WFS 2.0, WFS 1.1 and OGC API.

Public layers load anonymously; restricted ones with Basic auth (an analyst token as the
password) and not at all without it. For each: the geometry type, the fields, every feature
once, and a known feature where PostGIS says it is.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from app.census.models import Survey
from app.census.responses import submit
from app.census.surveys import get_survey
from app.geo.analysis import hotspot_pins
from app.geo.analysis.hotspots import GiParameters
from app.geo.analysis.nonresponse.presence import presence_fit
from app.geo.analysis.publication import COVERAGE_FIELDS, FIELDS
from app.geo.case_areas.models import CaseAreaRun
from app.geo.case_areas.params import Parameters
from app.geo.case_areas.runs import publish, run_selection
from tests.utils.auth import ADMIN
from tests.utils.clients import SAN_SEVERO, near, run_qgis, san_severo
from tests.utils.clients import qgis_spec as spec
from tests.utils.documents import document, open_survey

pytestmark = [pytest.mark.clients, pytest.mark.database("national")]

PROTOCOLS = ["wfs-2.0", "wfs-1.1", "oapif"]
PUBLIC = ["comuni", "indicators_comune", "indicators_province", "indicators_region", "case_areas"]
RESTRICTED = ["formal_settlements", "informal_settlements", "settlement_clusters", "hotspots",
              "follow_up"]  # fmt: skip
# A small wave of its own, for the settlements given as areas (the national one has none).
AREAS_WAVE = "qgis-areas"
RING = [[15.39, 41.61], [15.41, 41.61], [15.41, 41.63], [15.39, 41.63], [15.39, 41.61]]
GEOMETRY = {
    "comuni": "MultiPolygon", "indicators_comune": "MultiPolygon",
    "indicators_province": "MultiPolygon", "indicators_region": "MultiPolygon",
    "formal_settlements": "Point", "informal_settlements": "Point",
    "settlement_clusters": "Polygon", "hotspots": "MultiPolygon", "case_areas": "MultiPolygon",
    "informal_settlement_areas": "MultiPolygon", "follow_up": "MultiPolygon",
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
    "follow_up": ("code", None, "select c.code, ST_X(ST_Centroid(c.geom)), "
                  "ST_Y(ST_Centroid(c.geom)) from comuni c where c.vintage = 2021 and not "
                  "exists (select 1 from responses r where r.survey_id = :s and "
                  "r.comune_code = c.code) order by c.code limit 1"),
    "case_areas": ("rank", "1", "select ST_X(ST_Centroid(a.geom)), ST_Y(ST_Centroid(a.geom)) "
                   "from case_areas a join case_area_runs r on r.id = a.run_id where "
                   "r.survey_id = :s and r.published_at is not null and a.rank = 1"),
}  # fmt: skip


@pytest.fixture(scope="module")
def published_run(engine, national_survey) -> Iterator[int]:
    """A published case-area run of the national wave, removed afterwards."""
    with Session(engine) as session, session.begin():
        survey = get_survey(session, national_survey)
        run = run_selection(session, survey, Parameters(), ADMIN)
        publish(session, survey, run.id, ADMIN)
        run_id = run.id
    yield run_id
    with Session(engine) as session, session.begin():
        session.execute(delete(CaseAreaRun).where(CaseAreaRun.id == run_id))


@pytest.fixture(scope="module")
def areas_wave(engine) -> Iterator[tuple[str, str, tuple[float, float]]]:
    """A committed wave with one settlement given as a polygon; its code, id and centroid."""
    with Session(engine) as session, session.begin():
        survey = open_survey(session, code=AREAS_WAVE)
        doc = document()
        doc["informal_settlements"][0]["location"] = {"type": "Polygon", "coordinates": [RING]}
        submit(session, survey, ADMIN, doc)
        row = session.execute(
            text(
                "select id, ST_X(ST_Centroid(location)), ST_Y(ST_Centroid(location)) from "
                "informal_settlements where survey_id = :s and location is not null "
                "and ST_GeometryType(location) = 'ST_Polygon'"
            ),
            {"s": survey.id},
        ).one()
        survey_id = survey.id
    yield AREAS_WAVE, str(row[0]), (row[1], row[2])
    with Session(engine) as session, session.begin():
        session.execute(delete(Survey).where(Survey.id == survey_id))


@pytest.fixture(scope="module")
def expected(engine, national_survey, published_run) -> dict:
    """Feature counts and probe positions, from the database; hot spots computed once."""
    with Session(engine) as session, session.begin():
        survey = get_survey(session, national_survey)
        # A quick run pinned for the layer, stored before QGIS asks for it.
        hotspot_pins.pin(session, survey, GiParameters("informal_persons_mid", 99, 1), ADMIN)
        hotspot_pins.prepare_layer_run(session, survey)
        presence_fit(session, survey)  # the follow_up layer's fit, stored before QGIS asks
        s = survey.id
        counts = {
            "comuni": 7903, "indicators_comune": 7903, "indicators_province": 107,
            "indicators_region": 20, "hotspots": 7903,
            "formal_settlements": session.scalar(
                text("select count(*) from formal_settlements where survey_id = :s"), {"s": s}),
            "informal_settlements": session.scalar(
                text("select count(*) from informal_settlements where survey_id = :s"), {"s": s}),
            "follow_up": 7903 - session.scalar(
                text("select count(*) from responses where survey_id = :s"), {"s": s}),
            "case_areas": session.scalar(
                text("select count(*) from case_areas where run_id = :r"), {"r": published_run}),
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
    from app.geo.analysis.clusters import clusters

    with Session(engine) as session:
        return len(clusters(session, get_survey(session, code)))


@pytest.fixture(scope="module")
def qgis(layers_url, analyst_secret, national_survey, expected, areas_wave) -> dict:
    base = f"{layers_url}/surveys/{national_survey}"
    code, settlement, _ = areas_wave
    specs = {}
    for protocol in PROTOCOLS:
        specs[("areas", protocol)] = spec(
            protocol, f"{layers_url}/surveys/{code}", "informal_settlement_areas",
            analyst_secret, ("id", settlement),
        )  # fmt: skip
        specs[("comuni_2021", protocol)] = spec(protocol, layers_url, "comuni_2021")
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
        # Anonymous: the coverage fields, never the model's estimates (analysts only).
        assert fields == ["code", "name", *FIELDS, *COVERAGE_FIELDS, "suppressed",
                          "suppressed_fields"]  # fmt: skip
    _, _, position = expected["probes"][layer]
    if position is not None:
        assert report["centroid"] is not None, report
        assert near(report["centroid"], position, tolerance=1e-3), (report["centroid"], position)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_qgis_loads_settlements_given_as_areas(qgis, areas_wave, protocol):
    report = qgis[("areas", protocol)]

    assert report["valid"], report
    assert report["geometry_type"] == "MultiPolygon"
    assert report["iterated"] == 1
    assert near(report["centroid"], areas_wave[2], tolerance=1e-5), report["centroid"]
    assert not {"respondent", "notes"} & set(report["fields"])


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_qgis_loads_the_2021_comuni(qgis, engine, protocol):
    report = qgis[("comuni_2021", protocol)]

    assert report["valid"], report
    assert report["geometry_type"] == "MultiPolygon"
    assert report["iterated"] == report["distinct_codes"] == 7903, report
    assert near(report["centroid"], san_severo(engine, 2021)["centroid"]), report["centroid"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("layer", RESTRICTED)
def test_qgis_cannot_open_restricted_layers_anonymously(qgis, layer, protocol):
    report = qgis[(layer, protocol, "anonymous")]

    assert not report["valid"], report
