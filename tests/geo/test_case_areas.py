"""Case areas on the synthetic national survey: constraints, reruns, reasons and runner-ups."""

from __future__ import annotations

from itertools import combinations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.census.surveys import get_survey
from app.census.tokens import Principal
from app.geo.analysis.hotspots import hotspots
from app.geo.analysis.nonresponse.presence import presence_fit, presence_probabilities
from app.geo.analysis.publication import indicator_rows
from app.geo.case_areas.area_models import CaseArea
from app.geo.case_areas.candidates import Context, build_pool
from app.geo.case_areas.compare import compare
from app.geo.case_areas.inputs import read_inputs
from app.geo.case_areas.models import CaseAreaRun
from app.geo.case_areas.params import LABELS, parse_parameters
from app.geo.case_areas.reasons import analyst_reasons, resolve, show
from app.geo.case_areas.runs import run_document, run_selection
from app.geo.case_areas.selection import Instance, cbc, choose, greedy, highs

pytestmark = pytest.mark.database("national")

ANALYST = Principal(7, "analyst", "case-area tests", frozenset(), None)


@pytest.fixture(scope="module")
def wave(engine, national_survey) -> str:
    """The national wave, with its default Gi* stored (committed), as after a first run."""
    with Session(engine) as session, session.begin():
        survey = get_survey(session, national_survey)
        hotspots(session, survey, "informal_persons_mid", 999, 0)
        presence_fit(session, survey)
    return national_survey


def select_areas(session: Session, wave: str, **params) -> tuple[CaseAreaRun, dict]:
    """Run a selection in the test's transaction; return the run and its analysts' document."""
    survey = get_survey(session, wave)
    run = run_selection(session, survey, parse_parameters(params), ANALYST)
    return run, run_document(session, survey, run, geometry=False)


@pytest.fixture
def default(session, wave):
    return select_areas(session, wave)


def area_sets(doc: dict) -> list[frozenset[str]]:
    return [frozenset(a["comuni"]) for a in doc["areas"]]


def test_ten_areas_and_every_constraint_holds(session, default):
    run, doc = default
    params = run.parameters

    assert [a["rank"] for a in doc["areas"]] == list(range(1, 11))
    assert doc["constraints_met"] and run.constraints["failed"] == []
    scores = [a["score"] for a in doc["areas"]]
    assert scores == sorted(scores, reverse=True)
    # No shared comune.
    sets = area_sets(doc)
    assert all(not (x & y) for x, y in combinations(sets, 2))
    # Every ripartizione that has a candidate has an area.
    with_candidates = {r for c in run.trace["candidates"] for r in c["ripartizioni"]}
    covered = {r for a in doc["areas"] for r in a["ripartizioni"]}
    assert with_candidates == covered == {"Nord-ovest", "Nord-est", "Centro", "Sud", "Isole"}
    # Type quotas, recounted from the areas' own shares.
    dominance = params["dominance"]
    for label in LABELS:
        n = sum(a["typology"]["shares"].get(label, 0) >= dominance for a in doc["areas"])
        assert n >= params["quotas"][label], label
    # Centroid distances, measured again by PostGIS on the stored union geometries.
    closest = session.scalar(
        text(
            "select min(ST_Distance(ST_Centroid(ST_Transform(a.geom, 3035)), "
            "ST_Centroid(ST_Transform(b.geom, 3035)))) / 1000 from case_areas a "
            "join case_areas b on a.run_id = b.run_id and a.rank < b.rank where a.run_id = :r"
        ),
        {"r": run.id},
    )
    assert closest >= params["min_distance_km"]
    # Each area is contiguous: its comuni are connected through the stored contiguity.
    for comuni in sets:
        edges = session.execute(
            text(
                "select code, neighbour from comune_neighbours where vintage = 2021 "
                "and code = any(:c) and neighbour = any(:c)"
            ),
            {"c": list(comuni)},
        ).all()
        reached, frontier = set(), [min(comuni)]
        while frontier:
            code = frontier.pop()
            reached.add(code)
            frontier += [n for c, n in edges if c == code and n not in reached]
        assert reached == comuni
    # The stored geometry is the union of the member comuni.
    for area in session.scalars(select(CaseArea).where(CaseArea.run_id == run.id)):
        assert session.scalar(select(func.ST_GeometryType(area.geom))) == "ST_MultiPolygon"


def test_the_capitanata_cluster_is_one_area_merged_from_its_sources(default):
    run, doc = default
    first = doc["areas"][0]
    assert {"071051", "071024"} <= set(first["comuni"])  # San Severo and Foggia together
    assert first["typology"]["housing"] == "informal"
    entry = next(c for c in run.trace["candidates"] if c["key"] == first["candidate"])
    assert {s["kind"] for s in entry["sources"]} >= {"cluster", "hotspot"}
    merge = next(m for m in run.trace["merges"] if m["into"] == first["candidate"])
    assert len(merge["parts"]) > 1 and merge["shared_comuni"]
    # San Severo on its own stays a candidate, recorded as the compact alternative.
    assert any(
        o["candidate"] == "071051" and o["within"] == first["candidate"]
        for o in run.trace["overlaps"]
    )


def test_running_again_on_the_same_data_gives_the_same_result(session, wave, default):
    run, doc = default
    again, doc2 = select_areas(session, wave)

    assert again.id != run.id and again.fingerprint == run.fingerprint
    assert again.revision_ids == run.revision_ids
    for key in ("areas", "constraints", "parameters", "solver", "solver_note"):
        assert doc2[key] == doc[key], key
    # Everything in the trace is the same, except how long each solver took.
    for trace in (again.trace, run.trace):
        for trial in trace["selection"]["trials"]:
            trial.pop("seconds")
    assert again.trace == run.trace


def test_raising_formal_occupancy_shifts_towards_formal_dominant_areas(session, wave, default):
    _, doc = default
    _, formal = select_areas(session, wave, weights={"formal_occupancy": 1.0})

    def formal_dominant(d):
        return sum(a["typology"]["housing"] == "formal" for a in d["areas"])

    def formal_people(d):
        return sum(a["indicators"]["formal_occupancy"] for a in d["areas"])

    assert formal_dominant(formal) > formal_dominant(doc)
    assert formal_people(formal) > formal_people(doc)


def test_an_impossible_quota_names_the_failed_constraint(session, wave):
    run, doc = select_areas(session, wave, quotas={"formal": 11})

    assert not doc["constraints_met"]
    assert run.constraints["failed"] == ["quota:formal"]
    item = next(i for i in run.constraints["items"] if i["id"] == "quota:formal")
    assert item["required"] == 11 and item["achieved"] < 11 and not item["met"]
    assert "quota not met" in item["message"] and "formal housing" in item["message"]
    assert "quota not met" in run.constraints["summary"]
    # The best feasible set is still returned: ten areas, the other constraints kept.
    assert len(doc["areas"]) == 10
    assert all(i["met"] for i in run.constraints["items"] if i["id"] != "quota:formal")


def test_an_unreachable_distance_is_named_and_ten_areas_still_come_back(session, wave):
    run, doc = select_areas(session, wave, min_distance_km=900)

    assert "min_distance" in run.constraints["failed"]
    item = next(i for i in run.constraints["items"] if i["id"] == "min_distance")
    assert item["pairs_closer"] and "closer than 900 km" in item["message"]
    assert len(doc["areas"]) == 10


def test_removing_a_chosen_area_selects_its_stored_runner_up(session, wave, default):
    _, doc = default
    for area in doc["areas"]:
        runner = area["runner_up"]
        assert runner is not None, area["name"]
        _, rerun = select_areas(session, wave, exclude_comuni=area["comuni"])
        assert frozenset(runner["comuni"]) in area_sets(rerun), area["name"]
        assert frozenset(area["comuni"]) not in area_sets(rerun)


def test_every_reason_cites_a_value_or_constraint_of_the_stored_trace(session, default):
    run, _ = default
    session.expire_all()  # read back what was stored, not what is in memory
    stored = session.get(CaseAreaRun, run.id)
    areas = session.scalars(select(CaseArea).where(CaseArea.run_id == run.id)).all()
    assert len(areas) == 10
    constraint_reasons = 0
    for area in areas:
        assert len(area.reasons) >= 4
        for reason in area.reasons:
            assert reason["cites"], reason["text"]
            for cite in reason["cites"]:
                assert resolve(stored.trace, cite["path"]) == cite["value"], cite
                assert cite["shown"] == show(cite["value"], cite["kind"])
                assert cite["shown"] in reason["text"], (cite, reason["text"])
                constraint_reasons += cite["path"].startswith("constraints.items")
        entry = stored.trace["candidates"][
            next(a["candidate"] for a in stored.trace["areas"] if a["rank"] == area.rank)
        ]
        assert entry["key"] == area.candidate and entry["status"] == "selected"
    assert constraint_reasons > 0  # some reasons rest on constraints, not only on values


def test_why_each_candidate_was_not_picked_is_recorded(default):
    run, _ = default
    rejected = [c for c in run.trace["candidates"] if c["status"] != "selected"]
    assert rejected and all(c["why"] for c in rejected)
    assert any("shares a comune" in c["why"] for c in rejected)
    assert any("closer than" in c["why"] for c in rejected)


def test_public_reasons_cite_only_published_figures(session, wave, default):
    run, _ = default
    public = {
        r["code"]: r for r in indicator_rows(session, get_survey(session, wave), "comune", False)
    }
    withheld_seen = 0
    for area in session.scalars(select(CaseArea).where(CaseArea.run_id == run.id)):
        for reason in area.public_reasons:
            for cite in reason["cites"]:
                assert cite["kind"] in (
                    "geography", "constraint", "published", "withheld", "coverage"
                )  # fmt: skip
                if cite["kind"] == "published":
                    row = public[cite["code"]]
                    assert cite["field"] not in row["suppressed_fields"]
                    assert row[cite["field"]] == cite["value"]
                withheld_seen += cite["kind"] == "withheld" or "withheld" in reason["text"]
        assert "score" not in " ".join(r["text"] for r in area.public_reasons)
        assert "model" not in " ".join(r["text"] for r in area.public_reasons)
    assert withheld_seen  # the synthetic wave has small counts, and they stay hidden


def test_excluded_comuni_are_in_no_candidate(session, wave):
    excluded = ["071051", "071024"]
    run, doc = select_areas(session, wave, exclude_comuni=excluded)
    assert all(not set(c["comuni"]) & set(excluded) for c in run.trace["candidates"])
    assert all(not set(a["comuni"]) & set(excluded) for a in doc["areas"])


def test_hot_spot_candidates_hold_only_comuni_that_report_the_indicator(session, wave):
    survey = get_survey(session, wave)
    params = parse_parameters({})
    inputs = read_inputs(session, survey, params)
    values = inputs.comuni["informal_persons_mid"]
    pool = build_pool(Context(inputs, params), set())
    hot = [c for c in pool.candidates if any(s["kind"] == "hotspot" for s in c.sources)]
    assert hot
    in_hot_groups = {code for c in hot for code in c.comuni}
    assert all(values[code] > 0 for code in in_hot_groups)
    # Comuni hot only because of their neighbours exist, and are left out.
    assert any(values.get(code, 0) == 0 or values.isna()[code] for code in inputs.hot)


def test_the_solvers_agree_and_auto_keeps_the_better(session, wave):
    survey = get_survey(session, wave)
    for extra in ({}, {"quotas": {"stable": 4, "formal": 4}, "min_distance_km": 120}):
        params = parse_parameters(extra)
        inputs = read_inputs(session, survey, params)
        inst = Instance.of(build_pool(Context(inputs, params), set()).candidates, params)
        g, h, c = greedy(inst), highs(inst), cbc(inst)
        assert h.value == pytest.approx(c.value, abs=1e-3)
        assert set(h.selected) == set(c.selected)
        assert h.value >= g.value - 1e-6
        auto = choose(inst, "auto")
        assert set(auto.selected) == set(max((g, h), key=lambda t: t.value).selected)


def _within_25_km(session: Session, comuni: list[str]) -> set[str]:
    """The comuni whose centroid lies within 25 km of one of these comuni's, by PostGIS."""
    rows = session.execute(
        text(
            "with c as (select code, ST_Centroid(ST_Transform(geom, 3035)) p from comuni "
            "where vintage = 2021) "
            "select distinct b.code from c a join c b on ST_DWithin(a.p, b.p, 25000) "
            "where a.code = any(:codes) and not b.code = any(:codes)"
        ),
        {"codes": comuni},
    )
    return set(rows.scalars())


def test_each_area_reports_what_its_surroundings_answered(session, wave, default):
    run, doc = default
    survey = get_survey(session, wave)
    answered = {
        r["code"] for r in indicator_rows(session, survey, "comune", True) if r["responded"]
    }
    p = presence_probabilities(session, survey)
    for area in doc["areas"]:
        around = area["surroundings"]
        near = _within_25_km(session, area["comuni"])
        silent = sorted(near - answered)
        expected = sum(p[c] for c in silent)
        assert (around["comuni"], around["responded"]) == (len(near), len(near & answered))
        assert around["silent"] == len(silent)
        assert around["coverage"] == pytest.approx(len(near & answered) / len(near), abs=1e-6)
        assert around["silent_expected"] == pytest.approx(expected, abs=1e-5)
        assert around["silent_low"] <= around["silent_expected"] <= around["silent_high"]
        assert around["estimate"] == "model" and around["radius_km"] == 25
    assert run.trace["inputs"]["presence_model"]["estimate"] == "model"
    assert all("surroundings" in c for c in run.trace["candidates"])


def test_a_poorly_answered_surrounding_is_given_as_a_reason(session, default):
    run, _ = default
    low = [i for i, c in enumerate(run.trace["candidates"]) if c["surroundings"]["low_coverage"]]
    assert low  # about half the comuni answer: some candidates sit among silent ones
    for i in low[:5]:
        around = run.trace["candidates"][i]["surroundings"]
        reason = next(r for r in analyst_reasons(run.trace, i) if r["text"].startswith("only"))
        assert reason["text"].startswith(
            f"only {around['responded']} of {around['comuni']} comuni within 25 km answered"
        )
        assert "a model estimate" in reason["text"]
        for cite in reason["cites"]:
            assert resolve(run.trace, cite["path"]) == cite["value"]
            assert cite["shown"] in reason["text"]
    well = [
        i for i, c in enumerate(run.trace["candidates"]) if not c["surroundings"]["low_coverage"]
    ]
    assert not [
        r for i in well[:5] for r in analyst_reasons(run.trace, i) if r["text"].startswith("only")
    ]


def test_min_coverage_excludes_poorly_covered_candidates(session, wave, default):
    _, before = default
    run, doc = select_areas(session, wave, min_coverage=0.55)

    assert run.trace["parameters"]["min_coverage"] == 0.55
    assert all(c["surroundings"]["coverage"] >= 0.55 for c in run.trace["candidates"])
    dropped = run.trace["poorly_covered"]
    assert dropped and all(d["surroundings"]["coverage"] < 0.55 for d in dropped)
    assert all("below the min_coverage of 0.55" in d["why"] for d in dropped)
    assert all(a["surroundings"]["coverage"] >= 0.55 for a in doc["areas"])
    default_run, _ = default
    assert default_run.trace["poorly_covered"] == []
    assert len(default_run.trace["candidates"]) == len(run.trace["candidates"]) + len(dropped)


def test_a_comparison_says_an_area_left_for_its_poorly_covered_surroundings(session, wave, default):
    before, doc = default
    worst = min(doc["areas"], key=lambda a: a["surroundings"]["coverage"])
    threshold = round(worst["surroundings"]["coverage"] + 0.001, 3)
    after, _ = select_areas(session, wave, min_coverage=threshold)

    diff = compare(session, get_survey(session, wave), before.id, after.id)

    left = next(r for r in diff["areas"]["removed"] if r["comuni"] == worst["comuni"])
    assert f"below the min_coverage of {threshold:g}" in left["why"]
    assert any(p["path"] == "min_coverage" for p in diff["parameters"])
