"""Coverage and progress, checked against the generator's own record of who answered and when."""

from __future__ import annotations

from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from app.census.surveys import get_survey
from app.geo.analysis.nonresponse.coverage import COVERAGE_LEVELS, LOW_COVERAGE, coverage_by_code
from app.geo.analysis.nonresponse.progress import PROGRESS_LEVELS, progress
from app.geo.analysis.publication import indicator_rows

KEY = {"comune": "code", "province": "province_code", "region": "region_code",
       "ripartizione": "ripartizione_code", "italy": None}  # fmt: skip


@pytest.fixture
def comuni(truth_session):
    rows = truth_session.execute(
        text(
            "select code, province_code, region_code, ripartizione_code::text, population_2011,"
            " area_km2 from comuni where vintage = 2021"
        )
    ).mappings()
    return [dict(r) for r in rows]


def unit(row: dict, level: str) -> str:
    return row[KEY[level]] if KEY[level] else "IT"


@pytest.mark.parametrize("level", COVERAGE_LEVELS)
def test_coverage_adds_up_the_responding_comuni(truth_session, truth_wave, comuni, level):
    survey = get_survey(truth_session, truth_wave.code)
    responds = truth_wave.truth.responds
    expected = defaultdict(lambda: Counter())
    for c in comuni:
        e = expected[unit(c, level)]
        answered = responds[c["code"]]
        e["invited"] += 1
        e["responded"] += answered
        e["population"] += c["population_2011"]
        e["responded_population"] += c["population_2011"] * answered
        e["area"] += c["area_km2"]
        e["responded_area"] += c["area_km2"] * answered

    got = coverage_by_code(truth_session, survey, level)

    assert set(got) == set(expected)
    for code, e in expected.items():
        g = got[code]
        assert (g.invited, g.responded) == (e["invited"], e["responded"])
        assert g.population_2011 == e["population"]
        share = e["responded_population"] / e["population"]
        assert g.coverage_population == pytest.approx(share, abs=1e-6)  # 6 decimals
        assert g.coverage_area == pytest.approx(e["responded_area"] / e["area"], abs=1e-6)
        assert g.low_coverage == (g.coverage_population < LOW_COVERAGE)
    if level in ("comune", "province", "region"):  # about half answer: some units fall short
        assert {g.low_coverage for g in got.values()} == {True, False}


@pytest.mark.parametrize("level", COVERAGE_LEVELS)
def test_coverage_is_keyed_as_the_indicator_rows(truth_session, truth_wave, level):
    survey = get_survey(truth_session, truth_wave.code)

    got = coverage_by_code(truth_session, survey, level)
    rows = indicator_rows(truth_session, survey, level, full=True)

    assert {r["code"]: (r["invited"], r["responded"]) for r in rows} == {
        code: (u.invited, u.responded) for code, u in got.items()
    }


@pytest.mark.parametrize("level", PROGRESS_LEVELS)
def test_first_submissions_by_day_in_italy(truth_session, truth_wave, comuni, level):
    survey = get_survey(truth_session, truth_wave.code)
    rome = ZoneInfo("Europe/Rome")
    expected = defaultdict(Counter)
    for c in comuni:
        at = truth_wave.truth.submitted_at.get(c["code"])
        if at is not None:
            expected[unit(c, level)][at.astimezone(rome).date().isoformat()] += 1

    rows = progress(truth_session, survey, level)

    assert len(rows) == len({unit(c, level) for c in comuni})
    for row in rows:
        series = row["first_submissions"]
        assert {d["date"]: d["count"] for d in series} == expected[row["code"]]
        assert [d["date"] for d in series] == sorted(d["date"] for d in series)
        assert (series[-1]["cumulative"] if series else 0) == row["responded"]
    if level == "italy":
        days = rows[0]["first_submissions"]
        assert days[0]["date"] == "2024-03-04" and len(days) > 30
