"""Class breaks of a choropleth, computed from the public figures only (mapclassify).

The breaks are drawn for everyone, so they come from what the public may see: the values the
suppression pattern publishes. A withheld cell is neither a value nor a zero, and a unit whose
comuni did not answer has no value at all; both are counted apart and never enter a break.
Zeros are a class of their own: most comuni report none of most things, and mixed into the
quantiles they would swallow every class but the last.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sqlalchemy.orm import Session

from app.census.models import Survey
from app.errors import Problem, ValidationFailed
from app.geo.analysis.indicators import INDICATORS, Level
from app.geo.analysis.publication import COLUMN, current_tables, public_pattern, published

Method = Literal["quantiles", "natural_breaks"]
METHODS: tuple[Method, ...] = ("quantiles", "natural_breaks")
MIN_K, MAX_K = 2, 9


@dataclass(frozen=True)
class Classes:
    """Upper bounds of the classes of the positive values, and how the units fall."""

    indicator: str
    level: Level
    method: Method
    k: int  # classes asked for
    breaks: list[float]  # upper bounds, ascending; fewer than k when values are few
    counts: list[int]  # units per class
    minimum: float | None  # the smallest positive value (the first class's lower bound)
    zero: int  # units whose published value is 0
    withheld: int  # units whose value the public may not see
    no_value: int  # units with no value: none of their comuni answered (or no rate's base)
    units: int


def classify(values: np.ndarray, method: Method, k: int) -> tuple[list[float], list[int]]:
    """Return the upper bounds and counts of the classes of `values` (positive, finite)."""
    import mapclassify  # a few hundred ms of imports, paid by the first map only

    if values.size == 0:
        return [], []
    k = min(k, int(np.unique(values).size))
    if k < 2:
        return [float(values.max())], [int(values.size)]
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        # mapclassify warns when ties leave fewer classes than asked (the answer says so), and
        # Jenks-Caspall averages a class it emptied on the way.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        if method == "quantiles":
            found = mapclassify.Quantiles(values, k=k)
        else:
            # Jenks-Caspall: deterministic and fast; Fisher-Jenks is pure Python without numba
            # and takes minutes on a few thousand comuni.
            found = mapclassify.JenksCaspall(values, k=k)
    kept = [(float(b), int(c)) for b, c in zip(found.bins, found.counts, strict=True)]
    kept = [(b, c) for b, c in kept if np.isfinite(b)]
    return [b for b, _ in kept], [c for _, c in kept]


def public_classes(
    session: Session, survey: Survey, level: Level, indicator: str, method: Method, k: int
) -> Classes:
    """Classify the public figures of one level's indicator."""
    if indicator not in INDICATORS:
        choices = ", ".join(INDICATORS)
        raise ValidationFailed([Problem("indicator", f"must be one of: {choices}")])
    current = current_tables(session, survey)
    view = published(current, level, public_pattern(current))
    values = view.values[:, COLUMN[indicator]]
    withheld = np.array([indicator in names for names in view.withheld], dtype=bool)
    known = np.isfinite(values)
    positive = values[known & (values > 0)]
    breaks, counts = classify(np.sort(positive), method, k)
    return Classes(
        indicator=indicator,
        level=level,
        method=method,
        k=k,
        breaks=breaks,
        counts=counts,
        minimum=float(positive.min()) if positive.size else None,
        zero=int(np.count_nonzero(known & (values == 0))),
        withheld=int(np.count_nonzero(withheld)),
        no_value=int(np.count_nonzero(~known & ~withheld)),
        units=int(values.size),
    )
