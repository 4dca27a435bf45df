"""How well an area's surroundings answered, and how many silent comuni there may have workers.

The surroundings are the comuni whose centroid lies within 25 km of the centroid of one of the
area's comuni (EPSG:3035, the presence model's distance bands), the area's own comuni left
out. An area is chosen on what its respondents reported; where most comuni around it are
silent, the context it stands for is poorly known, and the run says so. The expected number of
silent comuni with workers there is the presence model's estimate (Poisson-binomial, 90%
interval): a model estimate, labelled as such, never added to the area's figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from app.geo.analysis.nonresponse.coverage import LOW_COVERAGE
from app.geo.analysis.nonresponse.expectation import expected_presence

RADIUS_KM = 25


@dataclass(frozen=True)
class Surroundings:
    """What the selection knows of every comune's neighbourhood: who lies near, who answered."""

    near: sparse.csr_matrix  # comuni within RADIUS_KM of each other (centroids), in code order
    responded: np.ndarray  # bool, in the same order
    reporting: np.ndarray  # bool: responded and reports workers
    p: np.ndarray  # the presence model's probability for silent comuni, NaN for respondents
    population: np.ndarray  # 2011 residents, 0 where unknown
    fit_id: int

    def of(self, rows: list[int]) -> dict:
        """Describe the surroundings of the comuni at these rows."""
        around = np.asarray(self.near[rows].sum(axis=0)).ravel() > 0
        around[rows] = False
        n, answered = int(around.sum()), int((around & self.responded).sum())
        silent = around & ~self.responded
        e = expected_presence(0, self.p[silent])
        people = float(self.population[around].sum())
        covered = float(self.population[around & self.responded].sum())
        return {
            "radius_km": RADIUS_KM,
            "comuni": n,
            "responded": answered,
            "coverage": round(answered / n, 6) if n else None,
            "coverage_population": round(covered / people, 6) if people else None,
            "reporting_workers": int((around & self.reporting).sum()),
            "silent": n - answered,
            "silent_expected": e.expected,
            "silent_low": e.low,
            "silent_high": e.high,
            "level": e.level,
            "estimate": "model",
            "fit_id": self.fit_id,
            "low_coverage": bool(n and answered / n < LOW_COVERAGE),
        }


def poorly_covered(surroundings: dict, min_coverage: float) -> bool:
    """Whether an area's surroundings answered less than the parameters require."""
    coverage = surroundings["coverage"]
    return min_coverage > 0 and coverage is not None and coverage < min_coverage
