"""Indicator rows as callers get them: in full for analysts, with cells withheld for the public."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from app.cache import CACHE
from app.census.models import Survey
from app.geo.analysis.disclosure import Pattern, suppression_pattern
from app.geo.analysis.indicators import (
    INDICATORS,
    LEVELS,
    IndicatorTables,
    Level,
    data_fingerprint,
    tables,
)
from app.geo.analysis.models import PublishedIndicators
from app.geo.analysis.nonresponse.expectation import Expectation
from app.geo.analysis.nonresponse.expected import FIELDS as EXPECTED_FIELDS
from app.geo.analysis.nonresponse.expected import expected_rows
from app.geo.reference.vintages import vintage_key
from app.settings import disclosure_settings

FIELDS = list(INDICATORS)
# How much of the unit answered: public, never withheld (shares of residents and area).
COVERAGE_FIELDS = ("coverage_population", "coverage_area", "low_coverage")
COVERAGE_DESCRIPTIONS = {
    "coverage_population": "Share of the unit's residents (2011 census) living in comuni that "
    "responded, 0-1; null where no population is known. Unit: share 0-1.",
    "coverage_area": "Share of the unit's area in comuni that responded, 0-1. Unit: share 0-1.",
    "low_coverage": "Less than half of the unit's residents (its area, where they are unknown) "
    "are in comuni that responded: most of the figures are unknown. Unit: true or false.",
}
# Whole counts are published as integers; the midpoint of persons can end in .5.
INTEGERS = {
    name for name, i in INDICATORS.items()
    if i.kind in ("comuni", "people", "places", "settlements") and name != "informal_persons_mid"
}  # fmt: skip


@dataclass(frozen=True)
class Published:
    """One level as a caller may see it: values with withheld cells as NaN, and which they are."""

    level: Level
    codes: list[str]
    names: list[str]
    values: np.ndarray  # one row per unit, one column per FIELDS entry
    withheld: list[frozenset[str]]


COLUMN = {name: j for j, name in enumerate(FIELDS)}


def published(tables_: IndicatorTables, level: Level, pattern: Pattern | None) -> Published:
    """Apply the suppression pattern (if any) to one level's figures."""
    df = tables_.rows(level)
    values = df[FIELDS].to_numpy(dtype=float, copy=True)
    codes = [str(c) for c in df.index]
    withheld = [
        frozenset(pattern.fields(level, c)) if pattern else frozenset() for c in codes
    ]  # fmt: skip
    for i, names in enumerate(withheld):
        for name in names:
            values[i, COLUMN[name]] = np.nan
    return Published(level, codes, list(df["label"]), values, withheld)


def rows_of(
    tables_: IndicatorTables, level: Level, pattern: Pattern | None,
    expected: dict[str, Expectation] | None = None,
) -> list[dict]:  # fmt: skip
    """Return the rows of one level; with a pattern, withheld values are null and flagged.

    Every row says how much of the unit answered; with `expected` (analysts only) it also
    carries the model's expected number of comuni with workers and its interval.
    """
    view = published(tables_, level, pattern)
    df = tables_.rows(level)
    by_population = df["coverage_population"].to_numpy(dtype=float)
    by_area = df["coverage_area"].to_numpy(dtype=float).tolist()
    low = df["low_coverage"].to_numpy(dtype=bool).tolist()
    population = [None if np.isnan(v) else float(v) for v in by_population]
    cells = view.values.astype(object)
    for j, name in enumerate(FIELDS):
        if name in INTEGERS:
            whole = ~np.isnan(view.values[:, j])
            cells[whole, j] = view.values[whole, j].astype(np.int64).astype(object)
    cells[np.isnan(view.values)] = None
    out = []
    for k, (code, label, row, names) in enumerate(
        zip(view.codes, view.names, cells.tolist(), view.withheld, strict=True)
    ):
        record: dict[str, object] = {"level": level, "code": code, "name": label}
        record.update(zip(FIELDS, row, strict=True))
        record.update(coverage_population=population[k], coverage_area=by_area[k],
                      low_coverage=low[k])  # fmt: skip
        if expected is not None:
            e = expected[code]
            record.update(workers_present_expected=e.expected,
                          workers_present_expected_low=e.low,
                          workers_present_expected_high=e.high)  # fmt: skip
        record["suppressed"] = bool(names)
        record["suppressed_fields"] = sorted(names)
        out.append(record)
    return out


def current_tables(
    session: Session, survey: Survey, fingerprint: str | None = None
) -> IndicatorTables:
    """Return the indicators of the wave's current state, computed once per state.

    A write changes the fingerprint, so a kept state is never stale, and the many doors that
    read one state (every vector tile, every WFS page) compute it and its suppression pattern
    once. A caller that has read the fingerprint already passes it.
    """
    fingerprint = fingerprint or data_fingerprint(session, survey)
    vintage = vintage_key(session, survey.vintage)
    key = ("tables", survey.id, fingerprint, survey.opens_at, vintage)
    return CACHE.get(key, lambda: tables(session, survey, fingerprint))


def public_pattern(current: IndicatorTables) -> Pattern:
    """The suppression pattern of this state of the data, with the configured threshold."""
    threshold = disclosure_settings().suppression_threshold
    if threshold not in current.patterns:
        current.patterns[threshold] = suppression_pattern(current, threshold)
    return current.patterns[threshold]


def public_levels(session: Session, survey: Survey) -> dict[Level, Published]:
    """Every level of the wave's indicators with small counts withheld: the public roll-up."""
    current = current_tables(session, survey)
    pattern = public_pattern(current)
    return {level: published(current, level, pattern) for level in LEVELS}


def indicator_rows(session: Session, survey: Survey, level: Level, full: bool) -> list[dict]:
    """Return one level's indicators: in full with the model's estimates, or as the public may."""
    current = current_tables(session, survey)
    if full:
        return rows_of(current, level, None, expected_rows(session, survey, current, level))
    return rows_of(current, level, public_pattern(current))


AUDIENCES = ("public", "analyst")
STORED_EXTRAS = [*COVERAGE_FIELDS, *EXPECTED_FIELDS]
STORED = ("survey_id", "fingerprint", "audience", "level", "code", "name", "values",
          "suppressed_fields")  # fmt: skip


def store_published(session: Session, survey: Survey) -> None:
    """Store the current state's rows for both audiences, once, for the map layers to join."""
    current = current_tables(session, survey)
    fingerprint = current.fingerprint
    # One writer per wave at a time; the others find the rows already there.
    session.execute(text("select pg_advisory_xact_lock(87031, :s)"), {"s": survey.id})
    stored = session.scalar(
        select(func.count())
        .select_from(PublishedIndicators)
        .where(
            PublishedIndicators.survey_id == survey.id,
            PublishedIndicators.fingerprint == fingerprint,
        )
    )
    if stored:
        return
    session.execute(delete(PublishedIndicators).where(PublishedIndicators.survey_id == survey.id))
    pattern = public_pattern(current)
    buf = io.StringIO()
    writer = csv.writer(buf)
    for audience in AUDIENCES:
        for level in LEVELS:
            if audience == "public":
                rows = rows_of(current, level, pattern)
            else:
                expected = expected_rows(session, survey, current, level)
                rows = rows_of(current, level, None, expected)
            for row in rows:
                values = {name: row[name] for name in FIELDS + STORED_EXTRAS if name in row}
                writer.writerow(
                    [survey.id, fingerprint, audience, level, row["code"], row["name"],
                     json.dumps(values), "{" + ",".join(row["suppressed_fields"]) + "}"]
                )  # fmt: skip
    buf.seek(0)
    cursor = session.connection().connection.cursor()
    cursor.copy_expert(
        f"copy published_indicators ({', '.join(STORED)}) from stdin with (format csv)", buf
    )
    # Fresh statistics, or the planner joins the boundaries by a loop of GiST scans.
    session.execute(text("analyze published_indicators"))
