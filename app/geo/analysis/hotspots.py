"""Hot spots: Getis-Ord Gi* over comuni with queen contiguity, with a false-discovery correction.

Every comune of the wave's vintage takes part: a comune that did not respond counts 0 (its
figure is unknown, and it is flagged in the output), and comuni with no contiguous neighbour
(small islands) are joined to their nearest comune when the contiguity is built.

Significance comes from permutations: `z` is the Gi* value standardised by its permutation
distribution (esda's z_sim), `p` its two-sided normal p-value, and `p_fdr` the Benjamini-Hochberg
adjusted p over all comuni. The class is hot or cold at 99/95/90% on `p_fdr`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.cache import CACHE
from app.census.models import Survey
from app.errors import Problem, ValidationFailed
from app.geo.analysis.indicators import INDICATORS, IndicatorTables, data_fingerprint
from app.geo.analysis.models import HotspotRun
from app.geo.analysis.publication import current_tables
from app.geo.reference.contiguity import neighbours
from app.geo.reference.vintages import VintageKey

if TYPE_CHECKING:
    from libpysal.weights import W

CLASSES = ((0.01, "99"), (0.05, "95"), (0.10, "90"))
MAX_PERMUTATIONS = 9999
MAX_SEED = 2**32 - 1  # numpy's seeds


@dataclass(frozen=True)
class GiParameters:
    """What a Gi* run depends on besides the data."""

    indicator: str
    permutations: int
    seed: int


# The wave's Gi*: what the hotspots layer shows unless an analyst pins other parameters, and
# what case areas use unless their parameters say otherwise.
DEFAULTS = GiParameters("informal_persons_mid", 999, 0)


def _weights_of(session: Session, key: VintageKey) -> tuple[W, dict, dict]:
    """Binary queen weights of a vintage, from the stored contiguity; kept per load."""
    return CACHE.get(("weights", key), lambda: _weights(session, key[0]))


def _weights(session: Session, vintage: int) -> tuple[W, dict, dict]:
    # esda, libpysal and scipy.stats are imported where used: together they take seconds to
    # load, and most commands of the CLI (tokens, surveys, imports) never need them.
    from libpysal.weights import W

    graph = neighbours(session, vintage)
    ids = sorted(graph)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # disconnected components (islands) are expected
        w = W({c: [n for n, _ in graph[c]] for c in ids}, id_order=ids, silence_warnings=True)
    counts = {c: len(graph[c]) for c in ids}
    borrowed = {c: any(kind == "nearest" for _, kind in graph[c]) for c in ids}
    return w, counts, borrowed


def check_indicator(indicator: str) -> None:
    if indicator not in INDICATORS or INDICATORS[indicator].kind == "comuni":
        choices = ", ".join(n for n, i in INDICATORS.items() if i.kind != "comuni")
        raise ValidationFailed([Problem("indicator", f"must be one of: {choices}")])


def check_parameters(params: GiParameters) -> None:
    """Raise ValidationFailed naming every parameter that is out of bounds."""
    problems = []
    try:
        check_indicator(params.indicator)
    except ValidationFailed as exc:
        problems += exc.details
    if not 0 <= params.permutations <= MAX_PERMUTATIONS:
        problems.append(Problem("permutations", f"must be between 0 and {MAX_PERMUTATIONS}"))
    if not 0 <= params.seed <= MAX_SEED:
        problems.append(Problem("seed", f"must be between 0 and {MAX_SEED}"))
    if problems:
        raise ValidationFailed(problems)


def compute(
    session: Session, current: IndicatorTables, indicator: str, permutations: int, seed: int,
) -> list[dict]:  # fmt: skip
    """Compute Gi* for one indicator on one state of the data."""
    import esda  # loaded where used, as in _weights_of
    from scipy.stats import false_discovery_control, norm

    comuni = current.rows("comune")
    w, counts, borrowed = _weights_of(session, current.vintage_key)
    order = [str(c) for c in w.id_order]
    frame = comuni.loc[order]
    raw = frame[indicator].to_numpy(dtype=float)
    y = np.nan_to_num(raw, nan=0.0)
    if np.ptp(y) == 0:
        z = np.zeros(len(y))
        p_sim = np.ones(len(y))
    else:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            # One process: the same seed then gives the same draws on every machine.
            g = esda.G_Local(
                y, w, transform="B", star=True, permutations=permutations, seed=seed,
                keep_simulations=bool(permutations), n_jobs=1,
            )  # fmt: skip
        analytical = np.nan_to_num(g.Zs, nan=0.0, posinf=0.0, neginf=0.0)
        if permutations:
            # Where every permutation drew the same sum (sparse data), the permutation
            # z-score divides by zero; the analytical z-score stands in for it there.
            z = np.where(np.isfinite(g.z_sim), g.z_sim, analytical)
            p_sim = g.p_sim
        else:  # no permutations asked for: the analytical z-scores
            z, p_sim = analytical, g.p_norm
    p = 2 * norm.sf(np.abs(z))
    p_fdr = false_discovery_control(p, method="bh")
    classes = np.full(len(order), "not_significant", dtype=object)
    for level, label in reversed(CLASSES):  # the strictest level that holds wins
        significant = p_fdr < level
        classes[significant & (z > 0)] = f"hot_{label}"
        classes[significant & (z <= 0)] = f"cold_{label}"
    columns = zip(
        order, frame["label"].tolist(), raw.tolist(), frame["responded"].tolist(),
        np.round(z, 6).tolist(), np.round(p, 8).tolist(), np.round(p_sim, 6).tolist(),
        np.round(p_fdr, 8).tolist(), classes.tolist(), strict=True,
    )  # fmt: skip
    return [
        {
            "code": code,
            "name": name,
            "value": None if math.isnan(value) else value,
            "responded": bool(responded),
            "z": zi,
            "p": pi,
            "p_sim": si,
            "p_fdr": fi,
            "class": cls,
            "neighbours": counts[code],
            "nearest_neighbour_borrowed": borrowed[code],
        }  # fmt: skip
        for code, name, value, responded, zi, pi, si, fi, cls in columns
    ]


def hotspots(
    session: Session,
    survey: Survey,
    indicator: str,
    permutations: int = DEFAULTS.permutations,
    seed: int = DEFAULTS.seed,
) -> tuple[list[dict], bool]:
    """Return Gi* for every comune, and whether it was already stored for this data state."""
    check_parameters(GiParameters(indicator, permutations, seed))
    fingerprint = data_fingerprint(session, survey)
    key = {"survey_id": survey.id, "fingerprint": fingerprint, "indicator": indicator,
           "permutations": permutations, "seed": seed}  # fmt: skip
    stored = session.scalar(select(HotspotRun.items).filter_by(**key))
    if stored is not None:
        return stored, True
    current = current_tables(session, survey, fingerprint)
    items = compute(session, current, indicator, permutations, seed)
    session.execute(insert(HotspotRun).values(**key, items=items).on_conflict_do_nothing())
    return items, False
