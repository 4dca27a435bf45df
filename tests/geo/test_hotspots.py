"""Gi* hot spots, straight from the domain, on a wave with a known hot district."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import update

from app.census.responses import submit
from app.errors import ValidationFailed
from app.geo.analysis.hotspots import GiParameters, compute, hotspot_run, hotspots
from app.geo.analysis.indicators import IndicatorTables, tables
from app.geo.analysis.models import HotspotRun
from app.geo.analysis.nonresponse.geography import geography
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


@pytest.mark.parametrize("nonresponse", ["missing", "zero"])
def test_a_district_of_large_settlements_is_hot_and_the_rest_is_not(session, wave, nonresponse):
    items, stored = hotspots(session, wave, "informal_persons_mid", 99, 0, nonresponse)
    assert not stored
    by = {i["code"]: i for i in items}
    assert len(items) == 7903
    hot = {c for c, i in by.items() if (i["class"] or "").startswith("hot")}
    assert {"071051", "071024"} <= hot  # San Severo and Foggia, in the middle of the district
    assert not hot & set(QUIET)
    assert by["071051"]["z"] > 3 and by["071051"]["responded"]
    assert by["001001"]["class"] == "not_significant"


def test_islands_borrow_their_nearest_neighbour(session, wave):
    items, _ = hotspots(session, wave, "informal_persons_mid", 0, 0, "zero")
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


def _district_answering_in_pairs(session, survey) -> tuple[IndicatorTables, list[str], list[str]]:
    """A national state in which a district's comuni answer only in part, with large counts.

    Half the comuni answer elsewhere, 80% of them with some people (exponential, mean 100). In
    the district (centroids within 40 km of Foggia's) comuni answer in contiguous pairs, the
    pairs apart, with 600 people each; every other comune there, and in a 15 km rim, is silent.
    """
    current = tables(session, survey)
    geo = geography(session, survey.vintage)
    graph = {c: {n for n, _ in ns} for c, ns in neighbours(session, survey.vintage).items()}
    codes, where = list(geo.codes), geo.index()
    rng = np.random.default_rng(0)
    responded = rng.random(len(codes)) < 0.5
    values = np.where(rng.random(len(codes)) < 0.8, rng.exponential(100, len(codes)), 0.0)
    km = np.linalg.norm(geo.xy - geo.xy[where["071024"]], axis=1) / 1000
    district = [c for c, k in zip(codes, km < 40, strict=True) if k]
    pairs: set[str] = set()
    for c in district:
        if c in pairs or graph[c] & pairs:
            continue
        partner = next(
            (m for m in sorted(graph[c] & set(district)) if not (graph[m] - {c}) & pairs), None
        )
        if partner:
            pairs |= {c, partner}
    for c in (c for c, k in zip(codes, km < 55, strict=True) if k):
        responded[where[c]] = c in pairs
        values[where[c]] = 600.0
    frame = current.rows("comune").copy()
    frame["responded"] = responded.astype(int)
    frame["informal_persons_mid"] = np.where(responded, values, np.nan)
    designed = IndicatorTables({**current.levels, "comune": frame}, "designed", current.vintage_key)
    return designed, district, sorted(pairs)


def test_a_district_answering_in_part_is_hot_when_silence_is_missing_not_zero(session):
    survey = open_survey(session, vintage=2021)
    designed, district, answering = _district_answering_in_pairs(session, survey)
    assert len(answering) >= 10 and len(district) >= 3 * len(answering) - 5

    missing, summary = compute(session, designed, "informal_persons_mid", 999, 0, "missing")
    zero, _ = compute(session, designed, "informal_persons_mid", 999, 0, "zero")

    by_missing = {i["code"]: i for i in missing}
    by_zero = {i["code"]: i for i in zero}
    # Among the respondents the district stands out: every answering comune is a hot spot.
    assert all(by_missing[c]["class"].startswith("hot") for c in answering)
    # Counted as 0, its silent comuni dilute it below significance.
    assert not [c for c in answering if by_zero[c]["class"].startswith("hot")]
    assert min(by_missing[c]["z"] for c in answering) > max(by_zero[c]["z"] for c in answering)
    silent = [c for c in district if c not in answering]
    assert all(by_missing[c]["responded"] is False for c in silent)
    assert all(by_missing[c][k] is None for c in silent for k in ("z", "p", "p_fdr", "class"))
    assert (
        summary["tested"]
        == summary["respondents"]
        == int(designed.rows("comune")["responded"].sum())
    )


def test_islands_left_by_silence_are_joined_to_their_nearest_respondent(session):
    survey = open_survey(session, vintage=2021)
    designed, _, _ = _district_answering_in_pairs(session, survey)
    items, summary = compute(session, designed, "informal_persons_mid", 0, 0, "missing")
    islands = [i for i in items if i["island"]]
    assert summary["islands"] == len(islands) == len(summary["island_comuni"]) > 0
    assert all(i["responded"] and i["neighbours"] >= 1 for i in islands)
    assert "nearest responding comune" in summary["island_handling"]
    zero_items, zero_summary = compute(session, designed, "informal_persons_mid", 0, 0, "zero")
    assert zero_summary["islands"] == 0 and not any(i["island"] for i in zero_items)
    assert all(i["z"] is not None for i in zero_items)


def test_the_treatment_of_silence_is_part_of_the_stored_key(session, wave):
    missing, stored_missing = hotspots(session, wave, "workers_seasonal", 9, 0, "missing")
    zero, stored_zero = hotspots(session, wave, "workers_seasonal", 9, 0, "zero")
    assert (stored_missing, stored_zero) == (False, False)
    assert sum(i["z"] is None for i in missing) == 7903 - len(CAPITANATA) - len(QUIET)
    assert all(i["z"] is not None for i in zero)
    assert hotspots(session, wave, "workers_seasonal", 9, 0, "missing") == (missing, True)
    with pytest.raises(ValidationFailed) as caught:
        hotspots(session, wave, "workers_seasonal", 9, 0, "ignore")  # type: ignore[arg-type]
    assert [p.path for p in caught.value.details] == ["nonresponse"]


def test_a_wave_without_answers_has_nothing_to_test(session):
    survey = open_survey(session)
    items, _ = hotspots(session, survey, "workers_stable", 9, 0)
    assert len(items) == 7903 and all(i["z"] is None and not i["responded"] for i in items)


def test_a_run_stored_before_summaries_reads_back_as_zero(session, wave):
    items, _ = hotspots(session, wave, "workers_seasonal", 9, 0, "zero")
    # As migration 0010 leaves a run stored before it: counted as zero, with no summary.
    session.execute(update(HotspotRun).where(HotspotRun.survey_id == wave.id).values(summary={}))

    run = hotspot_run(session, wave, GiParameters("workers_seasonal", 9, 0, "zero"))

    assert run.stored and run.items == items
    assert run.summary["nonresponse"] == "zero" and run.summary["tested"] == 7903
    assert run.summary["respondents"] == len(CAPITANATA) + len(QUIET)
