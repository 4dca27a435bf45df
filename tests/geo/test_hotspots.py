"""Gi* hot spots, straight from the domain, on a wave with a known hot district."""

from __future__ import annotations

import pytest

from app.census.responses import submit
from app.errors import ValidationFailed
from app.geo.analysis.hotspots import hotspots
from app.geo.reference.contiguity import neighbours
from tests.utils.auth import ADMIN
from tests.utils.documents import absent, open_survey
from tests.utils.synthetic import CAPITANATA

# Comuni far from Foggia that answer with nothing to report.
QUIET = ["001001", "001002", "001003", "001004", "001006", "015146", "058091", "048017"]


def _settlement(people: int) -> dict:
    return {"type": "shacks", "persons_min": people, "persons_max": people}


@pytest.fixture
def wave(session):
    survey = open_survey(session)
    for i, code in enumerate(CAPITANATA):
        doc = absent(code) | {
            "workers_present": True,
            "workers": {"stable": 100, "seasonal": 500},
            "informal_settlements": [_settlement(300 + 10 * i)],
        }
        submit(session, survey, ADMIN, doc)
    for code in QUIET:
        submit(session, survey, ADMIN, absent(code))
    session.flush()
    return survey


def test_a_district_of_large_settlements_is_hot_and_the_rest_is_not(session, wave):
    items, stored = hotspots(session, wave, "informal_persons_mid", 99, 0)
    assert not stored
    by = {i["code"]: i for i in items}
    assert len(items) == 7903
    hot = {c for c, i in by.items() if i["class"].startswith("hot")}
    assert {"071051", "071024"} <= hot  # San Severo and Foggia, in the middle of the district
    assert not hot & set(QUIET)
    assert by["071051"]["z"] > 3 and by["071051"]["responded"]
    assert by["001001"]["class"] == "not_significant"


def test_islands_borrow_their_nearest_neighbour(session, wave):
    items, _ = hotspots(session, wave, "informal_persons_mid", 0, 0)
    islands = [i for i in items if i["nearest_neighbour_borrowed"]]
    graph = neighbours(session, wave.vintage)
    assert islands and all(i["neighbours"] >= 1 for i in islands)
    assert all(any(k == "nearest" for _, k in graph[i["code"]]) for i in islands)


def test_the_same_seed_gives_the_same_answer_and_it_is_stored(session, wave):
    first, stored_first = hotspots(session, wave, "workers_seasonal", 99, 3)
    again, stored_again = hotspots(session, wave, "workers_seasonal", 99, 3)
    assert (stored_first, stored_again) == (False, True)
    assert first == again


@pytest.mark.parametrize(
    "indicator, permutations, path",
    [("invited", 9, "indicator"), ("no_such", 9, "indicator"), ("workers_stable", -1,
     "permutations"), ("workers_stable", 10_000, "permutations")],
)  # fmt: skip
def test_bad_parameters_are_named(session, wave, indicator, permutations, path):
    with pytest.raises(ValidationFailed) as caught:
        hotspots(session, wave, indicator, permutations, 0)
    assert [p.path for p in caught.value.details] == [path]
