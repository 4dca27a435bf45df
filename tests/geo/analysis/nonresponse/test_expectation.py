"""The Poisson-binomial expectation: exact against SciPy, and honest on the truth wave."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import poisson_binom

from app.census.surveys import get_survey
from app.geo.analysis.nonresponse.expectation import expected_presence, poisson_binomial_pmf
from app.geo.analysis.nonresponse.presence import presence_probabilities


def scipy_interval(p: np.ndarray, level: float) -> tuple[int, int]:
    """The equal-tailed interval from SciPy's cdf (its ppf fails beyond 64 probabilities)."""
    cdf = poisson_binom.cdf(np.arange(len(p) + 1), p)
    tail = (1 - level) / 2
    return int(np.argmax(cdf >= tail - 1e-12)), int(np.argmax(cdf >= 1 - tail - 1e-12))


@pytest.mark.parametrize("n", [1, 7, 60, 300])
def test_the_distribution_is_scipys(n):
    p = np.random.default_rng(n).beta(0.5, 2.0, n)

    assert np.allclose(poisson_binomial_pmf(p), poisson_binom.pmf(np.arange(n + 1), p), atol=1e-12)
    e = expected_presence(4, p)
    assert (e.low - 4, e.high - 4) == scipy_interval(p, 0.90)
    assert e.expected == pytest.approx(4 + p.sum()) and e.silent == n and e.level == 0.90


def test_edges():
    assert expected_presence(3, []).as_dict() == {
        "observed": 3, "expected": 3.0, "low": 3, "high": 3, "level": 0.9, "silent": 0,
        "estimate": "model",
    }  # fmt: skip
    certain = expected_presence(0, [1.0, 1.0, 0.0])
    assert (certain.expected, certain.low, certain.high) == (2.0, 2, 2)
    with pytest.raises(ValueError, match="between 0 and 1"):
        expected_presence(0, [0.5, 1.2])


def test_the_intervals_cover_the_truth_of_the_silent_comuni(truth_session, truth_wave):
    survey = get_survey(truth_session, truth_wave.code)
    truth = truth_wave.truth
    p = presence_probabilities(truth_session, survey)
    regions: dict[str, list[str]] = {}
    for code in p:
        regions.setdefault(code[:3], []).append(code)  # provinces, by the code's prefix

    covered = []
    for codes in regions.values():
        e = expected_presence(0, [p[c] for c in codes])
        covered.append(e.low <= sum(truth.present[c] for c in codes) <= e.high)
    national = expected_presence(0, list(p.values()))
    actual = sum(truth.present[c] for c in p)
    print(f"\n90% intervals cover the truth in {np.mean(covered):.0%} of {len(covered)} "
          f"provinces; Italy: {actual} silent comuni with workers, expected "
          f"{national.expected:.1f} [{national.low}, {national.high}]")  # fmt: skip

    assert np.mean(covered) >= 0.75
