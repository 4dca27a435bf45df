"""Statistical disclosure control: a differencing attack on everything published."""

from __future__ import annotations

import pytest

from app.geo.analysis.indicators import INDICATORS, LEVELS
from tests.utils.audit import feasible_ranges

pytestmark = pytest.mark.database("national")

THRESHOLD = 5


@pytest.fixture(scope="module")
def published(app, national_survey, engine):
    """Every level of the public output, fetched as an anonymous caller would."""
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        return {
            level: client.get(
                f"/api/v1/surveys/{national_survey}/indicators",
                params={"level": level, "limit": 10000},
            ).json()["items"]
            for level in LEVELS
        }


@pytest.fixture(scope="module")
def hierarchy(engine):
    """How units nest, as anyone can read it from the public comuni list."""
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "select code, province_code, region_code, ripartizione_code::text "
                "from comuni where vintage = 2021"
            )
        ).all()
    parent = {}
    for code, province, region, ripartizione in rows:
        parent[("comune", code)] = ("province", province)
        parent[("province", province)] = ("region", region)
        parent[("region", region)] = ("ripartizione", ripartizione)
        parent[("ripartizione", ripartizione)] = ("italy", "IT")
    return parent


def test_small_counts_are_withheld_and_large_ones_published(published):
    comuni = published["comune"]
    withheld = [r for r in comuni if "informal_settlements" in r["suppressed_fields"]]

    assert withheld, "the synthetic survey has small counts to protect"
    assert all(r["informal_settlements"] is None for r in withheld)
    italy = published["italy"][0]
    assert italy["informal_settlements"] > 100 and italy["responded"] == 4000


def test_no_withheld_cell_can_be_narrowed_below_the_threshold(published, hierarchy):
    fields = [name for name, i in INDICATORS.items() if i.sensitive]

    ranges = feasible_ranges(published, hierarchy, fields)

    assert len(ranges) > 100
    narrow = {cell: r for cell, r in ranges.items() if r[1] - r[0] < THRESHOLD}
    assert narrow == {}


def test_the_audit_catches_primary_suppression_alone(app, national_survey, hierarchy, engine):
    """Control: withholding only the small comune cells, and publishing every total, leaks."""
    from fastapi.testclient import TestClient
    from sqlalchemy.orm import Session

    from tests.utils.auth import bearer, token

    with Session(engine) as session, session.begin():
        analyst = bearer(token(session, "analyst"))
    with TestClient(app) as client:
        full = {
            level: client.get(
                f"/api/v1/surveys/{national_survey}/indicators",
                params={"level": level, "limit": 10000},
                headers=analyst,
            ).json()["items"]
            for level in LEVELS
        }
    leaky = {level: [{**r, "suppressed_fields": []} for r in rows] for level, rows in full.items()}
    for r in leaky["comune"]:
        if r["informal_settlements"] and r["informal_settlements"] <= THRESHOLD:
            r["informal_settlements"] = None
            r["suppressed_fields"] = ["informal_settlements"]

    ranges = feasible_ranges(leaky, hierarchy, ["informal_settlements"])

    assert ranges and any(high - low < THRESHOLD for low, high in ranges.values())
