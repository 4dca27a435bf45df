"""The score of a candidate area: a weighted sum of six indicators, each put on a 0-1 scale.

An area's indicators are computed from the sums of its responding comuni's counts. Each is then
normalised against the whole wave, never against the other candidates, so that removing a
candidate (or excluding comuni) leaves every other score as it was:

- counts of people or settlements: log(1 + x) / log(1 + the wave's national total). Informal
  populations run from a handful to thousands; on a linear scale the largest ghetto would
  flatten every other place to zero, on a log scale each tenfold step counts the same;
- workers per 1,000 residents: log(1 + x) / log(1 + the highest comune's rate), for the same
  reason (a village of 300 with 2,500 seasonal workers reaches thousands per 1,000);
- the seasonal share of workers is already between 0 and 1 and is used as it is.

The score is sum(weight * normalised) / sum(weights), between 0 and 1, rounded to 6 decimals.

The typology reads two axes, each of two sides: housing (people in informal settlements against
people in formal ones) and work (seasonal against stable workers). A side dominates when it
holds at least `dominance` (default 60%) of its axis; an axis with nothing on it has no type.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from app.geo.case_areas.params import Parameters

# What is summed over an area's responding comuni.
COUNTS = [
    "informal_persons_mid", "informal_settlements", "informal_without_water",
    "informal_without_electricity", "informal_without_toilets", "informal_active_7y",
    "workers_stable", "workers_seasonal", "formal_settlements", "formal_capacity",
    "formal_occupants", "responded", "population",
]  # fmt: skip


@dataclass(frozen=True)
class Measure:
    """One scored indicator: what it says, its unit, how it is normalised, a short name."""

    name: str
    description: str
    unit: str
    scale: str  # "log_total", "log_max_comune" or "share"
    short: str  # as in "largest <short> among the candidates in Sud"


MEASURES = [
    Measure("informal_people", "people in informal settlements (midpoint of min and max)",
            "people", "log_total", "informal population"),
    Measure("workers_rate", "foreign agri-food workers per 1,000 residents", "per 1,000 residents",
            "log_max_comune", "number of workers per 1,000 residents"),
    Measure("service_deficit", "basic services missing in informal settlements (water, "
            "electricity, toilets; one per settlement and service)", "missing services",
            "log_total", "number of basic services missing in informal settlements"),
    Measure("years_active", "informal settlements active for 7 years or more", "settlements",
            "log_total", "number of informal settlements active for 7 years or more"),
    Measure("seasonal_intensity", "seasonal share of foreign agri-food workers", "share",
            "share", "seasonal share of workers"),
    Measure("formal_occupancy", "people housed in formal settlements", "people", "log_total",
            "population in formal settlements"),
]  # fmt: skip
NAMES = [m.name for m in MEASURES]
BY_NAME = {m.name: m for m in MEASURES}


def count_matrix(comuni: pd.DataFrame) -> np.ndarray:
    """Return the summable counts of every comune (rows in the frame's order); unknown is 0."""
    frame = comuni.assign(
        population=comuni["population_2011"].where(comuni["responded"] == 1).astype(float)
    )
    return np.nan_to_num(frame[COUNTS].to_numpy(dtype=float), nan=0.0)


def raw_measures(sums: np.ndarray) -> np.ndarray:
    """Turn summed counts (one row per area) into the six raw indicators."""
    c = {name: sums[:, i] for i, name in enumerate(COUNTS)}
    workers = c["workers_stable"] + c["workers_seasonal"]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(c["population"] > 0, workers / c["population"] * 1000, 0.0)
        seasonal = np.where(workers > 0, c["workers_seasonal"] / workers, 0.0)
    deficit = (
        c["informal_without_water"] + c["informal_without_electricity"]
        + c["informal_without_toilets"]
    )  # fmt: skip
    return np.column_stack(
        [c["informal_persons_mid"], rate, deficit, c["informal_active_7y"], seasonal,
         c["formal_occupants"]]
    )  # fmt: skip


@dataclass(frozen=True)
class Scale:
    """The wave-wide references that put each indicator on 0-1."""

    references: dict[str, float]

    @classmethod
    def of(cls, counts: np.ndarray) -> Scale:
        """Take the references from every comune of the wave (totals, and the highest rate)."""
        totals = raw_measures(counts.sum(axis=0, keepdims=True))[0]
        per_comune = raw_measures(counts)
        refs = {}
        for j, m in enumerate(MEASURES):
            if m.scale == "log_total":
                refs[m.name] = float(totals[j])
            elif m.scale == "log_max_comune":
                refs[m.name] = float(per_comune[:, j].max(initial=0.0))
            else:
                refs[m.name] = 1.0
        return cls(refs)

    def normalise(self, raw: np.ndarray) -> np.ndarray:
        out = np.zeros_like(raw)
        for j, m in enumerate(MEASURES):
            ref = self.references[m.name]
            if m.scale == "share":
                out[:, j] = np.clip(raw[:, j], 0, 1)
            elif ref > 0:
                out[:, j] = np.clip(np.log1p(raw[:, j]) / np.log1p(ref), 0, 1)
        return out

    def describe(self) -> dict[str, dict]:
        """Say how each indicator is normalised, with its reference value."""
        how = {
            "log_total": "log(1 + x) / log(1 + national total)",
            "log_max_comune": "log(1 + x) / log(1 + highest comune)",
            "share": "x (already 0-1)",
        }
        return {
            m.name: {"description": m.description, "unit": m.unit, "formula": how[m.scale],
                     "reference": round(self.references[m.name], 6)}
            for m in MEASURES
        }  # fmt: skip


def weight_vector(params: Parameters) -> np.ndarray:
    weights = params.weights.model_dump()
    return np.array([weights[n] for n in NAMES], dtype=float)


def scores(normalised: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Return the weighted mean of the normalised indicators, rounded to 6 decimals."""
    return np.round(normalised @ weights / weights.sum(), 6)


def typology(sums: np.ndarray, dominance: float) -> list[dict]:
    """Return each area's housing and work type, with the shares that decide them."""
    c = {name: sums[:, i] for i, name in enumerate(COUNTS)}
    out = []
    for informal, formal, seasonal, stable in zip(
        c["informal_persons_mid"], c["formal_occupants"], c["workers_seasonal"],
        c["workers_stable"], strict=True,
    ):  # fmt: skip
        housing, housing_shares = _axis(informal, formal, dominance, ("informal", "formal"))
        work, work_shares = _axis(seasonal, stable, dominance, ("seasonal", "stable"))
        out.append({
            "housing": housing, "work": work, "shares": housing_shares | work_shares,
            "labels": [x for x in (housing, work) if x not in (None, "mixed")],
        })  # fmt: skip
    return out


def label_masks(sums: np.ndarray, dominance: float) -> dict[str, np.ndarray]:
    """Return, for each type, which rows (comuni) are of it: `typology`'s labels, vectorised."""
    c = {name: sums[:, i] for i, name in enumerate(COUNTS)}
    out = {}
    for a, b, names in (
        (c["informal_persons_mid"], c["formal_occupants"], ("informal", "formal")),
        (c["workers_seasonal"], c["workers_stable"], ("seasonal", "stable")),
    ):
        total = a + b
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(total > 0, a / total, np.nan)
        out[names[0]] = share >= dominance
        out[names[1]] = (1 - share) >= dominance
    return out


def _axis(a: float, b: float, dominance: float, names: tuple[str, str]):
    """Return the dominant side of an axis (or mixed, or None), and both sides' shares."""
    if a + b <= 0:
        return None, {}
    share = a / (a + b)
    shares = {names[0]: round(share, 4), names[1]: round(1 - share, 4)}
    if share >= dominance:
        return names[0], shares
    if 1 - share >= dominance:
        return names[1], shares
    return "mixed", shares
