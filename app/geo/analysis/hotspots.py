"""Hot spots: Getis-Ord Gi* over comuni with queen contiguity, with a false-discovery correction.

A comune that did not respond is unknown, not zero. By default (`nonresponse="missing"`) the
statistic is computed over the responding comuni only: the weights are the stored contiguity
restricted to them, and a respondent left with no responding neighbour (an island made by
silence) is joined, both ways, to its nearest responding comune (centroids in EPSG:3035), as the
contiguity joins real islands to their nearest comune; the run counts and lists them. Silent
comuni are listed with `responded: false` and no statistic. `nonresponse="zero"`, the behaviour
before, counts them as 0 over every comune, for comparison.

Significance comes from permutations: `z` is the Gi* value standardised by its permutation
distribution (esda's z_sim), `p` its two-sided normal p-value, and `p_fdr` the Benjamini-Hochberg
adjusted p over the comuni tested. The class is hot or cold at 99/95/90% on `p_fdr`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

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
NonResponse = Literal["missing", "zero"]
NONRESPONSE: tuple[NonResponse, ...] = ("missing", "zero")
ISLAND_HANDLING = (
    "a respondent with no responding contiguous comune is joined, both ways, to its nearest "
    "responding comune (centroids in EPSG:3035)"
)


@dataclass(frozen=True)
class GiParameters:
    """What a Gi* run depends on besides the data."""

    indicator: str
    permutations: int
    seed: int
    nonresponse: NonResponse = "missing"


# The wave's Gi*: what the hotspots layer shows unless an analyst pins other parameters, and
# what case areas use unless their parameters say otherwise.
DEFAULTS = GiParameters("informal_persons_mid", 999, 0, "missing")


@dataclass(frozen=True)
class GiRun:
    """A Gi* run: one item per comune of the vintage, whether it was stored, and its summary."""

    items: list[dict]
    stored: bool
    summary: dict


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
    if params.nonresponse not in NONRESPONSE:
        problems.append(Problem("nonresponse", f"must be one of: {', '.join(NONRESPONSE)}"))
    if problems:
        raise ValidationFailed(problems)


def _restricted(
    session: Session, key: VintageKey, codes: list[str]
) -> tuple[W, dict, dict, list[str]]:  # fmt: skip
    """Binary weights among the given comuni only; each one left alone joins its nearest."""
    from libpysal.weights import W
    from scipy.spatial import cKDTree

    from app.geo.analysis.nonresponse.geography import geography

    graph = CACHE.get(("neighbours", key), lambda: neighbours(session, key[0]))
    keep = set(codes)
    links = {c: {n for n, _ in graph[c] if n in keep} for c in codes}
    borrowed = {c: any(k == "nearest" and n in keep for n, k in graph[c]) for c in codes}
    islands = [c for c in codes if not links[c]]
    if islands and len(codes) > 1:
        geo = geography(session, key[0])
        where = geo.index()
        xy = geo.xy[[where[c] for c in codes]]
        position = {c: i for i, c in enumerate(codes)}
        _, nearest = cKDTree(xy).query(xy[[position[c] for c in islands]], k=2)
        for c, pair in zip(islands, nearest, strict=True):
            # The first hit is the comune itself (distance 0), unless two centroids coincide.
            other = codes[pair[1]] if codes[pair[0]] == c else codes[pair[0]]
            links[c].add(other)
            links[other].add(c)
            borrowed[c] = borrowed[other] = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # disconnected components are expected
        w = W({c: sorted(links[c]) for c in codes}, id_order=codes, silence_warnings=True)
    return w, {c: len(links[c]) for c in codes}, borrowed, islands


def _gi(y: np.ndarray, w: W | None, permutations: int, seed: int) -> tuple[np.ndarray, ...]:
    """Return Gi*'s z-scores, two-sided p-values and the permutation test's pseudo p-values."""
    import esda  # loaded where used, as in _weights_of
    from scipy.stats import norm

    if len(y) < 2 or np.ptp(y) == 0:
        return np.zeros(len(y)), np.ones(len(y)), np.ones(len(y))
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
    # A degenerate spread (two respondents, say) gives no p: none is no evidence.
    return z, 2 * norm.sf(np.abs(z)), np.nan_to_num(p_sim, nan=1.0)


def _classes(z: np.ndarray, p_fdr: np.ndarray) -> np.ndarray:
    classes = np.full(len(z), "not_significant", dtype=object)
    for level, label in reversed(CLASSES):  # the strictest level that holds wins
        significant = p_fdr < level
        classes[significant & (z > 0)] = f"hot_{label}"
        classes[significant & (z <= 0)] = f"cold_{label}"
    return classes


def compute(
    session: Session, current: IndicatorTables, indicator: str, permutations: int, seed: int,
    nonresponse: NonResponse = DEFAULTS.nonresponse,
) -> tuple[list[dict], dict]:  # fmt: skip
    """Compute Gi* for one indicator on one state of the data; return its items and summary."""
    from scipy.stats import false_discovery_control

    comuni = current.rows("comune")
    w_all, counts_all, borrowed_all = _weights_of(session, current.vintage_key)
    order = [str(c) for c in w_all.id_order]
    frame = comuni.loc[order]
    raw = frame[indicator].to_numpy(dtype=float)
    responded = frame["responded"].to_numpy() == 1
    islands: list[str] = []
    if nonresponse == "zero":
        tested = order
        w, counts, borrowed = w_all, counts_all, borrowed_all
        y = np.nan_to_num(raw, nan=0.0)
    else:
        # A respondent's rate can be unknown too (its population is): it is left out as well.
        known = responded & ~np.isnan(raw)
        tested = [c for c, k in zip(order, known, strict=True) if k]
        y = raw[known]
        if tested:
            w, counts, borrowed, islands = _restricted(session, current.vintage_key, tested)
        else:  # nobody has answered: nothing to test
            w, counts, borrowed = None, {}, {}
    z, p, p_sim = _gi(y, w, permutations, seed)
    p_fdr = false_discovery_control(p, method="bh") if len(p) else p
    classes = _classes(z, p_fdr)
    stats = {
        code: (round(float(zi), 6), round(float(pi), 8), round(float(si), 6),
               round(float(fi), 8), cls)
        for code, zi, pi, si, fi, cls in zip(
            tested, z, p, p_sim, p_fdr, classes.tolist(), strict=True
        )
    }  # fmt: skip
    island_set = set(islands)
    items = []
    for code, name, value, answered in zip(
        order, frame["label"].tolist(), raw.tolist(), responded.tolist(), strict=True
    ):
        zi, pi, si, fi, cls = stats.get(code, (None,) * 5)
        items.append({
            "code": code, "name": name,
            "value": None if math.isnan(value) else value,
            "responded": bool(answered), "z": zi, "p": pi, "p_sim": si, "p_fdr": fi,
            "class": cls,
            "neighbours": counts.get(code), "nearest_neighbour_borrowed": borrowed.get(code),
            "island": code in island_set,
        })  # fmt: skip
    summary = {
        "nonresponse": nonresponse, "comuni": len(order), "respondents": int(responded.sum()),
        "tested": len(tested), "islands": len(islands), "island_comuni": islands,
        "island_handling": ISLAND_HANDLING if nonresponse == "missing" else None,
        "fdr_over": "the comuni tested",
    }  # fmt: skip
    return items, summary


def _summary_before(items: list[dict]) -> dict:
    """Describe a run stored before runs kept a summary: every comune tested, silence as 0."""
    return {
        "nonresponse": "zero", "comuni": len(items),
        "respondents": sum(bool(i["responded"]) for i in items), "tested": len(items),
        "islands": 0, "island_comuni": [], "island_handling": None,
        "fdr_over": "the comuni tested",
    }  # fmt: skip


def hotspot_run(session: Session, survey: Survey, params: GiParameters) -> GiRun:
    """Return Gi* for every comune with its summary, stored per data state and parameters."""
    check_parameters(params)
    fingerprint = data_fingerprint(session, survey)
    key = {"survey_id": survey.id, "fingerprint": fingerprint, "indicator": params.indicator,
           "permutations": params.permutations, "seed": params.seed,
           "nonresponse": params.nonresponse}  # fmt: skip
    stored = session.execute(select(HotspotRun.items, HotspotRun.summary).filter_by(**key)).first()
    if stored is not None:
        return GiRun(stored.items, True, stored.summary or _summary_before(stored.items))
    current = current_tables(session, survey, fingerprint)
    items, summary = compute(
        session, current, params.indicator, params.permutations, params.seed, params.nonresponse
    )
    session.execute(
        insert(HotspotRun).values(**key, items=items, summary=summary).on_conflict_do_nothing()
    )
    return GiRun(items, False, summary)


def hotspots(
    session: Session,
    survey: Survey,
    indicator: str,
    permutations: int = DEFAULTS.permutations,
    seed: int = DEFAULTS.seed,
    nonresponse: NonResponse = DEFAULTS.nonresponse,
) -> tuple[list[dict], bool]:
    """Return Gi* for every comune, and whether it was already stored for this data state."""
    run = hotspot_run(session, survey, GiParameters(indicator, permutations, seed, nonresponse))
    return run.items, run.stored
