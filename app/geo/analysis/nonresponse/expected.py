"""How many comuni of each unit are expected to have workers: respondents plus a model estimate.

For every unit of every level: the respondents that report workers (known), plus the
Poisson-binomial distribution of the silent comuni's presence probabilities (the presence
model's, fitted on the same state of the data), with a 90% interval. It is a model estimate,
labelled so wherever it appears, for analysts only; it never enters a count or a total.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from app.census.models import Survey
from app.errors import Conflict
from app.geo.analysis.indicators import KEYS, IndicatorTables, Level
from app.geo.analysis.nonresponse.expectation import LEVEL, Expectation, expected_presence
from app.geo.analysis.nonresponse.presence import presence_fit, presence_probabilities

FIELDS = ("workers_present_expected", "workers_present_expected_low",
          "workers_present_expected_high")  # fmt: skip
DESCRIPTIONS = {
    "workers_present_expected": "Model estimate, not an answer: the responding comuni that "
    "report foreign agri-food workers plus the silent comuni's presence probabilities "
    "(presence model, Poisson-binomial). Analysts only. Unit: comuni.",
    "workers_present_expected_low": "Model estimate: lower bound of the 90% interval of "
    "workers_present_expected (equal-tailed). Analysts only. Unit: comuni.",
    "workers_present_expected_high": "Model estimate: upper bound of the 90% interval of "
    "workers_present_expected (equal-tailed). Analysts only. Unit: comuni.",
}


def _single(observed: np.ndarray, p: np.ndarray) -> list[Expectation]:
    """One comune each: a Bernoulli, whose equal-tailed interval is read off its two values."""
    tail = (1 - LEVEL) / 2
    low = (1 - p < tail - 1e-12).astype(int)
    high = (1 - p < 1 - tail - 1e-12).astype(int)
    silent = ~np.isnan(p)
    q = np.nan_to_num(p)
    return [
        Expectation(int(o), round(float(o + qi), 6), int(o + lo * s), int(o + hi * s), LEVEL,
                    int(s))
        for o, qi, lo, hi, s in zip(observed, q, low, high, silent, strict=True)
    ]  # fmt: skip


def expected_rows(
    session: Session, survey: Survey, current: IndicatorTables, level: Level, seed: int = 0
) -> dict[str, Expectation]:
    """Return {unit code: expected comuni with workers} for one level, once per data state."""
    if level in current.expected:
        return current.expected[level]
    fit, _ = presence_fit(session, survey, seed)
    if fit.fingerprint != current.fingerprint:
        raise Conflict("data_changed", "responses changed while they were read; try again")
    probability = presence_probabilities(session, survey, seed)
    comuni = current.rows("comune")
    codes = comuni.index.astype(str)
    p = np.array([probability.get(c, np.nan) for c in codes], dtype=float)
    observed = np.nan_to_num(comuni["workers_present"].to_numpy(dtype=float)).astype(int)
    if level == "comune":
        out = dict(zip(codes, _single(observed, p), strict=True))
    else:
        keys = KEYS[level]
        units = (
            np.full(len(codes), "IT") if keys is None else comuni[keys[0]].astype(str).to_numpy()
        )
        out = {}
        for unit in np.unique(units):
            mine = units == unit
            silent = p[mine & ~np.isnan(p)]
            out[str(unit)] = expected_presence(int(observed[mine].sum()), silent, LEVEL)
    current.expected[level] = out
    return out
