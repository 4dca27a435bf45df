"""Indicator tables, straight from the domain: roll-ups, unknowns, rates and the state cache."""

from __future__ import annotations

import math

import pytest

from app.census.responses import submit
from app.geo.analysis.indicators import COUNT_NAMES, LEVELS, data_fingerprint, tables
from app.geo.analysis.nonresponse.coverage import coverage_by_code
from app.geo.analysis.nonresponse.expectation import expected_presence
from app.geo.analysis.nonresponse.presence import presence_probabilities
from app.geo.analysis.publication import current_tables, indicator_rows
from tests.utils.auth import ADMIN
from tests.utils.documents import absent, document, open_survey

# San Severo and Foggia (FG), Lavello (PZ) report workers; Agliè (TO) reports none.
ANSWERS = {"071051": 3300, "071024": 1200, "076043": 450}


@pytest.fixture
def wave(session):
    survey = open_survey(session)
    for code, workers in ANSWERS.items():
        doc = document(code)
        doc["workers"] = {"stable": workers - 100, "seasonal": 100}
        submit(session, survey, ADMIN, doc)
    submit(session, survey, ADMIN, absent("001001"))
    session.flush()
    return survey


def test_every_level_sums_its_children_and_silence_stays_unknown(session, wave):
    current = tables(session, wave, data_fingerprint(session, wave))
    comuni = current.rows("comune").set_index("key")
    assert len(comuni) == 7903 and comuni["responded"].sum() == 4
    assert math.isnan(comuni.loc["072001", "workers_stable"])  # silent: unknown, not zero
    assert comuni.loc["001001", "workers_stable"] == 0  # answered "none": a real zero
    for level, parent in zip(LEVELS[:-1], LEVELS[1:], strict=True):
        children, parents = current.rows(level), current.rows(parent)
        for name in ("invited", "responded", "workers_stable", "informal_persons_mid"):
            summed = children.groupby("parent")[name].sum(min_count=1)
            for key, total in parents[name].items():
                expected = summed.get(key, float("nan"))
                assert total == pytest.approx(expected, nan_ok=True), (level, name, key)
    italy = current.rows("italy").iloc[0]
    assert italy["workers_stable"] + italy["workers_seasonal"] == sum(ANSWERS.values())
    assert italy["invited"] == 7903 and italy["response_rate"] == pytest.approx(4 / 7903)


def test_a_unit_where_nobody_answered_has_no_figures(session, wave):
    regions = tables(session, wave).rows("region").set_index("key")
    assert regions.loc["16", "responded"] == 2
    assert math.isnan(regions.loc["20", "workers_stable"])  # Sardegna: nobody answered
    assert regions.loc["20", "invited"] > 0 and regions.loc["20", "response_rate"] == 0


def test_rates_divide_by_the_responding_territory(session, wave):
    province = tables(session, wave).rows("province").set_index("key").loc["071"]
    comuni = tables(session, wave).rows("comune").set_index("key")
    population = comuni.loc[["071051", "071024"], "population_2011"].sum()
    workers = province["workers_stable"]
    assert province["workers_stable_per_1000_residents"] == pytest.approx(
        workers / population * 1000
    )


def test_the_state_cache_follows_the_data(session, wave):
    first = current_tables(session, wave)
    assert current_tables(session, wave) is first  # the same state: computed once
    submit(session, wave, ADMIN, document("072001"))
    session.flush()
    second = current_tables(session, wave)
    assert second is not first and second.fingerprint != first.fingerprint
    assert second.rows("comune").set_index("key").loc["072001", "responded"] == 1
    assert set(COUNT_NAMES) <= set(second.rows("italy").columns)


@pytest.mark.parametrize("level", LEVELS)
def test_every_row_says_how_much_of_its_unit_answered(session, wave, level):
    rows = indicator_rows(session, wave, level, full=False)
    truth = coverage_by_code(session, wave, level)

    assert sorted(r["code"] for r in rows) == sorted(truth)
    for row in rows:
        unit = truth[row["code"]]
        if unit.coverage_population is None:
            assert row["coverage_population"] is None
        else:
            assert row["coverage_population"] == pytest.approx(unit.coverage_population, abs=2e-6)
        assert row["coverage_area"] == pytest.approx(unit.coverage_area, abs=2e-6)
        assert row["low_coverage"] is unit.low_coverage
        # The model's estimate is for analysts: the public rows do not name it.
        assert not [k for k in row if k.startswith("workers_present_expected")]
    full = indicator_rows(session, wave, level, full=True)
    assert [r["coverage_area"] for r in full] == [r["coverage_area"] for r in rows]


def test_coverage_of_a_comune_is_all_or_nothing(session, wave):
    rows = {r["code"]: r for r in indicator_rows(session, wave, "comune", full=False)}
    assert (rows["071051"]["coverage_population"], rows["071051"]["low_coverage"]) == (1.0, False)
    assert (rows["072001"]["coverage_population"], rows["072001"]["low_coverage"]) == (0.0, True)
    puglia = next(
        r for r in indicator_rows(session, wave, "region", full=False) if r["code"] == "16"
    )
    assert 0 < puglia["coverage_population"] < 0.5 and puglia["low_coverage"] is True


def test_analysts_rows_add_the_expected_presence_among_the_silent(session, wave):
    p = presence_probabilities(session, wave)
    italy = indicator_rows(session, wave, "italy", full=True)[0]
    expected = expected_presence(3, p.values())

    assert len(p) == 7903 - 4 and italy["workers_present"] == 3
    assert italy["workers_present_expected"] == expected.expected
    assert (italy["workers_present_expected_low"], italy["workers_present_expected_high"]) == (
        expected.low, expected.high,
    )  # fmt: skip
    assert 3 <= expected.low <= expected.expected <= expected.high
    regions = indicator_rows(session, wave, "region", full=True)
    assert sum(r["workers_present_expected"] for r in regions) == pytest.approx(
        italy["workers_present_expected"], abs=1e-3
    )
    comuni = {r["code"]: r for r in indicator_rows(session, wave, "comune", full=True)}
    # A respondent's answer is known: no interval around it.
    assert [
        comuni["071051"][k]
        for k in (
            "workers_present_expected",
            "workers_present_expected_low",
            "workers_present_expected_high",
        )
    ] == [1, 1, 1]
    assert [
        comuni["001001"][k]
        for k in (
            "workers_present_expected",
            "workers_present_expected_low",
            "workers_present_expected_high",
        )
    ] == [0, 0, 0]
    for code in sorted(p)[::400]:  # a silent comune: its own Bernoulli
        one = expected_presence(0, [p[code]])
        row = comuni[code]
        assert row["workers_present_expected"] == pytest.approx(one.expected, abs=1e-6)
        assert (row["workers_present_expected_low"], row["workers_present_expected_high"]) == (
            one.low, one.high,
        )  # fmt: skip
