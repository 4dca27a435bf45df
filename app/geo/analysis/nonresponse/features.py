"""The presence model's features, for every comune, from the other comuni's answers only.

A comune's own answer never enters its own features: neighbourhoods leave the comune out, its
own settlements are not counted, and the region and ripartizione rates of a respondent are
computed without it (leave-one-out). So a respondent's features are exactly what they would be
had it stayed silent, and the model learns on respondents what it then applies to the silent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.census.models import Response, Survey
from app.census.settlement_models import FormalSettlementRow, InformalSettlementRow
from app.errors import Conflict
from app.geo.analysis.indicators import data_fingerprint
from app.geo.analysis.nonresponse.geography import BANDS_KM, Geography

# Pseudo-respondents that pull a neighbourhood's share towards its region's rate: a comune with
# one responding neighbour is not given a share of 0 or 1 on that one answer.
SMOOTHING = 1.0
SETTLEMENT_BANDS_KM = (10, 25)


@dataclass(frozen=True)
class Feature:
    """One column of the model: its name, the fact it belongs to, and what it measures."""

    name: str
    group: str
    description: str


def _nearby(km: int) -> list[Feature]:
    return [
        Feature(f"share_{km}km", f"nearby_{km}km", f"Log-odds of the share of the other "
                f"responding comuni within {km} km (centroid to centroid) that report workers, "
                f"with {SMOOTHING:g} pseudo-respondent at the region's rate."),
        Feature(f"reporting_{km}km", f"nearby_{km}km", f"log(1 + other comuni within {km} km "
                "that report workers)."),
    ]  # fmt: skip


FEATURES: tuple[Feature, ...] = (
    *(f for km in BANDS_KM for f in _nearby(km)),
    Feature("share_contiguous", "contiguous", "Log-odds of the share of the responding "
            "contiguous comuni (stored queen contiguity) that report workers, smoothed as above."),
    Feature("reporting_contiguous", "contiguous", "log(1 + contiguous comuni that report "
            "workers)."),
    Feature("informal_10km", "informal_nearby", "log(1 + informal settlements reported by "
            "other comuni within 10 km of the centroid)."),
    Feature("informal_25km", "informal_nearby", "log(1 + informal settlements reported by "
            "other comuni within 25 km of the centroid)."),
    Feature("formal_25km", "formal_nearby", "log(1 + formal settlements reported by other "
            "comuni within 25 km of the centroid)."),
    Feature("region_rate", "region", "Log-odds of the share of the region's other "
            "respondents that report workers (one pseudo-respondent each way)."),
    Feature("ripartizione_rate", "ripartizione", "Log-odds of the share of the ripartizione's "
            "other respondents that report workers (one pseudo-respondent each way)."),
    # Population, area and density: any two give the third (in logs, a difference), so the
    # model takes two; with all three its coefficients would be arbitrary.
    Feature("log_population", "size", "log of the 2011 census population (the province's "
            "median where unknown)."),
    Feature("log_density", "size", "log of residents (2011) per km² of area."),
)  # fmt: skip
NAMES = [f.name for f in FEATURES]


@dataclass(frozen=True)
class Answers:
    """What one state of the data says, in the geography's comune order."""

    fingerprint: str
    responded: np.ndarray  # bool
    present: np.ndarray  # bool; False where the comune did not respond
    informal_xy: np.ndarray  # (k, 2) EPSG:3035
    informal_comune: np.ndarray  # index of the reporting comune
    informal_people: np.ndarray  # midpoint of persons_min and persons_max
    formal_xy: np.ndarray
    formal_comune: np.ndarray


def read_answers(session: Session, survey: Survey, geo: Geography) -> Answers:
    """Read the wave's current answers; 409 if they change while being read."""
    fingerprint = data_fingerprint(session, survey)
    index = geo.index()
    n = len(index)
    responded = np.zeros(n, dtype=bool)
    present = np.zeros(n, dtype=bool)
    rows = session.execute(
        select(Response.comune_code, Response.workers_present).where(
            Response.survey_id == survey.id
        )
    )
    for code, workers in rows:
        if code in index:
            responded[index[code]] = True
            present[index[code]] = bool(workers)
    informal = _points(session, InformalSettlementRow, survey, geo, index, people=True)
    formal = _points(session, FormalSettlementRow, survey, geo, index, people=False)
    if data_fingerprint(session, survey) != fingerprint:
        raise Conflict("data_changed", "responses changed while they were read; try again")
    return Answers(fingerprint, responded, present, *informal, *formal[:2])


def _points(session: Session, table, survey: Survey, geo: Geography, index: dict, people: bool):
    """Return settlement points (EPSG:3035), their comune's index and their people."""
    point = func.ST_Transform(table.point, 3035)
    columns = [table.comune_code, func.ST_X(point), func.ST_Y(point)]
    if people:
        columns.append((table.persons_min + table.persons_max) / 2.0)
    rows = session.execute(
        select(*columns).where(table.survey_id == survey.id).order_by(table.id)
    ).all()
    rows = [r for r in rows if r[0] in index]
    comune = np.array([index[r[0]] for r in rows], dtype=int)
    xy = np.array([[r[1], r[2]] for r in rows], dtype=float).reshape(-1, 2)
    # A settlement given without a location is in its comune: it counts at the centroid.
    unplaced = np.isnan(xy).any(axis=1)
    xy[unplaced] = geo.xy[comune[unplaced]]
    persons = np.array([float(r[3]) for r in rows]) if people else np.zeros(len(rows))
    return xy, comune, persons


@dataclass(frozen=True)
class FeatureSet:
    """The model's inputs for every comune, and the raw counts behind them (for the reasons)."""

    X: np.ndarray  # one row per comune, one column per FEATURES entry
    facts: dict[str, np.ndarray]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-3, 1 - 1e-3)
    return np.log(p / (1 - p))


def _leave_one_out(groups: np.ndarray, responded: np.ndarray, present: np.ndarray):
    """Return each comune's group's respondents and reporters, itself left out."""
    keys, g = np.unique(groups, return_inverse=True)
    r, k = responded.astype(float), present.astype(float)
    n_group = np.bincount(g, weights=r, minlength=len(keys))
    k_group = np.bincount(g, weights=k, minlength=len(keys))
    return n_group[g] - r, k_group[g] - k


def _settlements_near(
    geo: Geography, xy: np.ndarray, comune: np.ndarray, weights: np.ndarray, km: int
) -> tuple[np.ndarray, np.ndarray]:
    """Count settlements (and sum weights) within km of each centroid, the comune's own left out."""
    n = len(geo.xy)
    if len(xy) == 0:
        return np.zeros(n), np.zeros(n)
    pairs = geo.tree.sparse_distance_matrix(cKDTree(xy), km * 1000.0, output_type="coo_matrix")
    keep = comune[pairs.col] != pairs.row
    rows, cols = pairs.row[keep], pairs.col[keep]
    return (
        np.bincount(rows, minlength=n).astype(float),
        np.bincount(rows, weights=weights[cols], minlength=n),
    )


def build_features(geo: Geography, answers: Answers) -> FeatureSet:
    """Compute every feature for every comune of the geography."""
    comuni = geo.comuni
    responded, present = answers.responded, answers.present
    r, k = responded.astype(float), present.astype(float)
    facts: dict[str, np.ndarray] = {"responded": responded}
    columns: dict[str, np.ndarray] = {}

    for level, column in (("region", "region_code"), ("ripartizione", "ripartizione_code")):
        n_loo, k_loo = _leave_one_out(comuni[column].to_numpy(dtype=str), responded, present)
        facts[f"{level}_respondents"], facts[f"{level}_reporting"] = n_loo, k_loo
        columns[f"{level}_rate"] = _logit((k_loo + 1) / (n_loo + 2))
    prior = (facts["region_reporting"] + 1) / (facts["region_respondents"] + 2)

    neighbourhoods = {f"{km}km": geo.bands[km] for km in BANDS_KM}
    neighbourhoods["contiguous"] = geo.contiguous
    for name, matrix in neighbourhoods.items():
        n_near, k_near = matrix @ r, matrix @ k
        facts[f"respondents_{name}"], facts[f"reporting_{name}"] = n_near, k_near
        columns[f"share_{name}"] = _logit((k_near + SMOOTHING * prior) / (n_near + SMOOTHING))
        columns[f"reporting_{name}"] = np.log1p(k_near)

    for km in SETTLEMENT_BANDS_KM:
        count, people = _settlements_near(
            geo, answers.informal_xy, answers.informal_comune, answers.informal_people, km
        )
        facts[f"informal_{km}km"], facts[f"informal_people_{km}km"] = count, people
        columns[f"informal_{km}km"] = np.log1p(count)
    count, _ = _settlements_near(
        geo, answers.formal_xy, answers.formal_comune, np.zeros(len(answers.formal_xy)), 25
    )
    facts["formal_25km"] = count
    columns["formal_25km"] = np.log1p(count)

    population = comuni["population_2011"].astype(float)
    known = population.notna().to_numpy()
    median = population.groupby(comuni["province_code"]).transform("median")
    population = population.fillna(median).fillna(population.median()).to_numpy()
    area = comuni["area_km2"].to_numpy(dtype=float)
    facts["population_known"] = known
    columns["log_population"] = np.log(np.maximum(population, 1.0))
    columns["log_density"] = columns["log_population"] - np.log(np.maximum(area, 0.01))

    X = np.column_stack([columns[name] for name in NAMES])
    return FeatureSet(X, facts)


def neighbours_share(features: FeatureSet, answers: Answers, km: int = 25) -> np.ndarray:
    """The naive baseline: the share of the other responding comuni within km reporting workers.

    Where none within km has answered, the share of all the other respondents stands in.
    """
    n, k = features.facts[f"respondents_{km}km"], features.facts[f"reporting_{km}km"]
    responded, reporting = answers.responded.astype(float), answers.present.astype(float)
    national = (reporting.sum() - reporting) / np.maximum(responded.sum() - responded, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, k / n, national)
