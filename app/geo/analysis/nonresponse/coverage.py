"""How much of each unit answered: comuni, 2011 residents and area in responding comuni."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from sqlalchemy import ColumnElement, String, cast, func, literal, select
from sqlalchemy.orm import Session

from app.census.models import Response, Survey
from app.geo.reference.boundary_models import Comune

CoverageLevel = Literal["comune", "province", "region", "ripartizione", "italy"]
COVERAGE_LEVELS: tuple[CoverageLevel, ...] = (
    "comune", "province", "region", "ripartizione", "italy",
)  # fmt: skip
# A figure resting on less than half of a unit's residents is flagged: most of it is unknown.
LOW_COVERAGE = 0.5


def unit_key(level: CoverageLevel) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """Return the code and name of a comune's unit at a level, as the indicators spell them."""
    columns: dict[str, tuple[ColumnElement[Any], ColumnElement[Any]]] = {
        "comune": (Comune.code.expression, Comune.name.expression),
        "province": (Comune.province_code.expression, Comune.province_name.expression),
        "region": (Comune.region_code.expression, Comune.region_name.expression),
        "ripartizione": (cast(Comune.ripartizione_code, String), Comune.ripartizione.expression),
        "italy": (literal("IT"), literal("Italia")),
    }
    return columns[level]


@dataclass(frozen=True)
class UnitCoverage:
    """One unit's response: how many comuni, and how much of its people and land, answered."""

    level: str
    code: str
    name: str
    invited: int
    responded: int
    response_rate: float
    population_2011: int | None  # of the comuni whose population is known
    responded_population: int | None
    coverage_population: float | None
    area_km2: float
    responded_area_km2: float
    coverage_area: float
    low_coverage: bool

    def as_dict(self) -> dict:
        return asdict(self)


def _share(part: float | None, whole: float | None) -> float | None:
    if part is None or not whole:
        return None
    return round(part / whole, 6)


def coverage_shares(
    responded_population: np.ndarray, population: np.ndarray,
    responded_area: np.ndarray, area: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Return the shares of residents and area covered, and the low-coverage flag, per unit.

    The same rule as `coverage`, on arrays: NaN population where no comune's is known; the
    flag falls back on the area where the population is unknown.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        by_population = np.where(population > 0, responded_population / population, np.nan)
        by_area = np.where(area > 0, responded_area / area, 0.0)
    by_population, by_area = np.round(by_population, 6), np.round(by_area, 6)
    low = np.where(np.isnan(by_population), by_area, by_population) < LOW_COVERAGE
    return by_population, by_area, low


def coverage(session: Session, survey: Survey, level: CoverageLevel) -> list[UnitCoverage]:
    """Return every unit of a level with its response coverage, in code order."""
    code, name = unit_key(level)
    answered = Response.id.is_not(None)
    stmt = (
        select(
            code.label("code"),
            func.min(name).label("name"),
            func.count().label("invited"),
            func.count(Response.id).label("responded"),
            func.sum(Comune.population_2011).label("population"),
            func.sum(Comune.population_2011).filter(answered).label("responded_population"),
            func.sum(Comune.area_km2).label("area"),
            func.coalesce(func.sum(Comune.area_km2).filter(answered), 0.0).label("responded_area"),
        )
        .select_from(Comune)
        .outerjoin(
            Response, (Response.comune_code == Comune.code) & (Response.survey_id == survey.id)
        )
        .where(Comune.vintage == survey.vintage)
    )
    if level != "italy":  # Italy is the whole table: one row, no grouping
        stmt = stmt.group_by(code).order_by(code)
    out = []
    for row in session.execute(stmt):
        population = int(row.population) if row.population is not None else None
        responded_population = (
            int(row.responded_population or 0) if population is not None else None
        )
        by_population = _share(responded_population, population)
        by_area = _share(row.responded_area, row.area) or 0.0
        out.append(
            UnitCoverage(
                level=level,
                code=str(row.code),
                name=row.name,
                invited=row.invited,
                responded=row.responded,
                response_rate=round(row.responded / row.invited, 6),
                population_2011=population,
                responded_population=responded_population,
                coverage_population=by_population,
                area_km2=round(row.area, 3),
                responded_area_km2=round(row.responded_area, 3),
                coverage_area=by_area,
                low_coverage=(by_population if by_population is not None else by_area)
                < LOW_COVERAGE,
            )
        )
    return out


def coverage_by_code(
    session: Session, survey: Survey, level: CoverageLevel
) -> dict[str, UnitCoverage]:
    """Return {unit code: its coverage} for one level, keyed as the indicator rows are."""
    return {unit.code: unit for unit in coverage(session, survey, level)}
