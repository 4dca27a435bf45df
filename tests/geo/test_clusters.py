"""Settlement clusters, straight from the domain: DBSCAN across comune borders, and the layer."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.census.responses import submit
from app.errors import ValidationFailed
from app.geo.analysis.clusters import clusters
from app.geo.layers.catalogue import SURVEY
from app.geo.layers.registry import LayerContext
from tests.utils.auth import ADMIN
from tests.utils.documents import absent, open_survey

# Points about 300 m apart either side of the border of San Severo (071051) and Torremaggiore
# (071056), both in the province of Foggia, and one lone settlement far away in Foggia.
BORDER = {"071051": [(15.3520, 41.5910), (15.3550, 41.5910)], "071056": [(15.3490, 41.5890)]}
LONE = ("071024", (15.5863, 41.4706))


def _informal(points, people: int = 100) -> list[dict]:
    return [
        {"type": "shacks", "persons_min": people, "persons_max": 2 * people,
         "location": {"type": "Point", "coordinates": list(p)}}
        for p in points
    ]  # fmt: skip


@pytest.fixture
def wave(session):
    survey = open_survey(session)
    places = {**BORDER, LONE[0]: [LONE[1]]}
    for code, points in places.items():
        doc = absent(code) | {"workers_present": True, "informal_settlements": _informal(points)}
        submit(session, survey, ADMIN, doc)
    session.flush()
    return survey


def test_a_cluster_spans_two_comuni_and_a_lone_settlement_is_noise(session, wave):
    found = clusters(session, wave, eps_km=2, min_points=3)
    assert len(found) == 1
    cluster = found[0]
    assert cluster["cluster"] == 1 and cluster["settlements"] == 3
    assert [c["code"] for c in cluster["comuni"]] == ["071051", "071056"]
    assert cluster["provinces"] == ["071"] and cluster["regions"] == ["16"]
    assert (cluster["persons_min"], cluster["persons_max"]) == (300, 600)
    assert cluster["persons_mid"] == 450
    assert cluster["hull"]["type"] == "Polygon"
    assert [m["comune_code"] for m in cluster["members"]] == ["071051", "071051", "071056"]


def test_a_larger_radius_takes_in_more(session, wave):
    assert clusters(session, wave, eps_km=1, min_points=4) == []
    wide = clusters(session, wave, eps_km=40, min_points=3)
    assert [c["settlements"] for c in wide] == [4]


def test_the_layer_serves_the_same_clusters(session, wave):
    ctx = LayerContext(ADMIN, wave)
    layer = SURVEY.find(session, ctx, "settlement_clusters")
    src = layer.select(session, ctx).subquery()
    rows = session.execute(select(src).order_by(src.c.cluster)).mappings().all()
    assert [(r["cluster"], r["settlements"], r["comuni"], r["provinces"]) for r in rows] == [
        (1, 3, "071051,071056", "071")
    ]
    area = session.scalar(select(func.ST_Area(func.ST_Transform(src.c.geom, 3035))))
    assert area > 250**2 * 3  # the hull is buffered by 250 m


@pytest.mark.parametrize("eps_km, min_points", [(0, 3), (101, 3), (2, 0), (2, 1001)])
def test_bad_parameters_are_refused(session, wave, eps_km, min_points):
    with pytest.raises(ValidationFailed):
        clusters(session, wave, eps_km=eps_km, min_points=min_points)
