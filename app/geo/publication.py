"""Indicator rows as callers get them: in full for analysts, with cells withheld for the public."""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from app.census.models import Survey
from app.geo.disclosure import Pattern, suppression_pattern
from app.geo.indicators import INDICATORS, IndicatorTables, Level, data_fingerprint, tables
from app.settings import disclosure_settings

FIELDS = list(INDICATORS)
# Whole counts are published as integers; the midpoint of persons can end in .5.
INTEGERS = {
    name for name, i in INDICATORS.items()
    if i.kind in ("comuni", "people", "places", "settlements") and name != "informal_persons_mid"
}  # fmt: skip


def rows_of(tables_: IndicatorTables, level: Level, pattern: Pattern | None) -> list[dict]:
    """Return the rows of one level; with a pattern, withheld values are null and flagged."""
    df = tables_.rows(level)
    values = df[FIELDS].to_numpy(dtype=float)
    codes = [str(c) for c in df.index]
    withheld = [pattern.fields(level, c) if pattern else set() for c in codes]
    column = {name: j for j, name in enumerate(FIELDS)}
    cells = values.astype(object)
    cells[np.isnan(values)] = None
    for i, names in enumerate(withheld):
        for name in names:
            cells[i, column[name]] = None
    out = []
    for code, label, row, names in zip(codes, df["label"], cells.tolist(), withheld, strict=True):
        record = {"level": level, "code": code, "name": label}
        record.update(zip(FIELDS, row, strict=True))
        for name in INTEGERS:
            if record[name] is not None:
                record[name] = int(record[name])
        record["suppressed"] = bool(names)
        record["suppressed_fields"] = sorted(names)
        out.append(record)
    return out


def indicator_rows(session: Session, survey: Survey, level: Level, full: bool) -> list[dict]:
    """Return one level's indicators: in full, or as the public may see them."""
    current = tables(session, survey, data_fingerprint(session, survey))
    pattern = None if full else public_pattern(current)
    return rows_of(current, level, pattern)


def public_pattern(current: IndicatorTables) -> Pattern:
    """The suppression pattern of this state of the data, with the configured threshold."""
    return suppression_pattern(current, disclosure_settings().suppression_threshold)
