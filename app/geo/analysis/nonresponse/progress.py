"""Progress of a wave, for the census team and the public: coverage and first submissions by day.

Nothing personal: counts of comuni, and shares of residents and area. Days are calendar days in
Italy (Europe/Rome), from each response's first revision.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import Session

from app.census.models import Response, Revision, Survey
from app.geo.analysis.nonresponse.coverage import coverage, unit_key
from app.geo.reference.boundary_models import Comune

ProgressLevel = Literal["italy", "ripartizione", "region", "province"]
PROGRESS_LEVELS: tuple[ProgressLevel, ...] = ("italy", "ripartizione", "region", "province")
TIME_ZONE = "Europe/Rome"


def first_submissions(
    session: Session, survey: Survey, level: ProgressLevel
) -> dict[str, list[tuple[date, int]]]:
    """Return, per unit, the days on which comuni first answered and how many did."""
    code, _ = unit_key(level)
    day = cast(func.timezone(TIME_ZONE, Revision.created_at), Date).label("day")
    stmt = (
        select(code.label("code"), day, func.count())
        .select_from(Response)
        .join(Revision, (Revision.response_id == Response.id) & (Revision.revision == 1))
        .join(Comune, (Comune.code == Response.comune_code) & (Comune.vintage == survey.vintage))
        .where(Response.survey_id == survey.id)
    )
    stmt = stmt.group_by(code, day) if level != "italy" else stmt.group_by(day)
    out: dict[str, list[tuple[date, int]]] = {}
    for unit, when, count in session.execute(stmt.order_by(day)):
        out.setdefault(str(unit), []).append((when, count))
    return out


def progress(session: Session, survey: Survey, level: ProgressLevel) -> list[dict]:
    """Return every unit of a level: invited, responded, coverage and its daily first answers."""
    days = first_submissions(session, survey, level)
    rows = []
    for unit in coverage(session, survey, level):
        row = unit.as_dict()
        cumulative, series = 0, []
        for when, count in days.get(unit.code, []):
            cumulative += count
            series.append({"date": when.isoformat(), "count": count, "cumulative": cumulative})
        row["first_submissions"] = series
        rows.append(row)
    return rows
