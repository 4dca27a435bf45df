"""Select N areas under constraints: greedy with repair, or an exact solver (HiGHS or CBC).

Every solver works on the same problem and is judged by the same value. In order of priority:

1. no two areas share a comune (hard: no solver ever breaks it);
2. N areas, if N can be had without sharing a comune;
3. the minimum distance between area centroids. If N areas cannot all be that far apart, it is
   lowered to the largest distance at which they can (found by exact feasibility checks over the
   candidates' pairwise distances, before any solver runs), and the report says so;
4. every unit of shortfall counts alike: an area missing from a type quota, or a ripartizione
   with candidates but no area;
5. the highest total score.

So when the constraints cannot all be met, the selection still has N areas if N can be had,
breaks as little as it can, and says what (see `constraint_report`).

The value encodes 2, 4 and 5 exactly: a score counts in millionths (scores are rounded to 6
decimals), a unit of shortfall costs more than any total score, a missing area more than any
shortfall an area could remove. A tie-break worth less than a millionth in total prefers
candidates in score order, then key order, so the optimum is unique and every solver that finds
it returns the same areas.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.geo.case_areas.candidates import Candidate
from app.geo.case_areas.params import LABELS, Parameters
from app.wording import counted

TIME_LIMIT_S = 20.0
MAX_REPAIRS = 100
AXIS = {"informal": "housing", "formal": "housing", "seasonal": "work", "stable": "work"}


@dataclass(frozen=True)
class Requirement:
    """At least `minimum` selected areas among `members`: a type quota or a ripartizione."""

    id: str
    kind: str  # "quota" or "ripartizione"
    subject: str  # the type label or the ripartizione's name
    minimum: int
    members: tuple[int, ...]


@dataclass
class Instance:
    """One selection problem: candidates, N, requirements, conflicts and distances."""

    n: int
    candidates: list[Candidate]
    min_distance_km: float  # the distance in force (lowered if N areas do not fit)
    requirements: list[Requirement]
    asked_distance_km: float | None = None  # as asked, when it had to be lowered
    coef: np.ndarray = field(init=False)
    hard: np.ndarray = field(init=False)  # m x m: the two share a comune
    close: np.ndarray = field(init=False)  # m x m: closer than the distance in force
    distance: np.ndarray = field(init=False)  # m x m, km
    member: np.ndarray = field(init=False)  # m x R
    minima: np.ndarray = field(init=False)
    penalty: float = field(init=False)
    missing_penalty: float = field(init=False)

    def __post_init__(self) -> None:
        m, n = len(self.candidates), self.n
        score = np.array([c.score for c in self.candidates])
        keys = [c.key for c in self.candidates]
        order = sorted(range(m), key=lambda i: (-score[i], keys[i]))
        position = np.empty(m)
        position[order] = np.arange(m)
        tie = (m - position) / ((m + 1) * (n + 1))
        self.coef = np.round(score * 1e6) + tie
        self.penalty = float(n * (1e6 + 1) + 1)
        # One more area can remove at most one unit of shortfall per requirement.
        self.missing_penalty = self.penalty * (len(self.requirements) + 2)
        owner: dict[str, list[int]] = {}
        for i, c in enumerate(self.candidates):
            for code in c.comuni:
                owner.setdefault(code, []).append(i)
        self.hard = np.zeros((m, m), dtype=bool)
        for group in owner.values():
            for i in group:
                self.hard[i, group] = True
        np.fill_diagonal(self.hard, False)
        xy = np.array([c.centroid for c in self.candidates]).reshape(m, 2)
        self.distance = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
        self.close = (self.distance < self.min_distance_km) & ~self.hard
        np.fill_diagonal(self.close, False)
        self.member = np.zeros((m, len(self.requirements)), dtype=int)
        for r, req in enumerate(self.requirements):
            self.member[list(req.members), r] = 1
        self.minima = np.array([r.minimum for r in self.requirements], dtype=int)
        self.conflict_sets = sorted({tuple(g) for g in owner.values() if len(g) > 1})

    @classmethod
    def of(cls, candidates: list[Candidate], params: Parameters) -> Instance:
        """Build the problem of these candidates under these parameters."""
        requirements = []
        quotas = params.quotas.model_dump()
        for label in LABELS:
            if quotas[label] > 0:
                members = tuple(i for i, c in enumerate(candidates) if label in c.labels)
                requirements.append(
                    Requirement(f"quota:{label}", "quota", label, quotas[label], members)
                )
        if params.cover_ripartizioni:
            for name in sorted({r for c in candidates for r in c.ripartizioni}):
                members = tuple(i for i, c in enumerate(candidates) if name in c.ripartizioni)
                requirements.append(
                    Requirement(f"ripartizione:{name}", "ripartizione", name, 1, members)
                )
        return cls(params.n, candidates, params.min_distance_km, requirements)

    def variant(
        self, distance_km: float | None = None, requirements: list[Requirement] | None = None
    ) -> Instance:
        """The same problem with another distance in force, or other requirements."""
        asked = (
            self.asked_distance_km if self.asked_distance_km is not None else self.min_distance_km
        )
        return Instance(
            self.n,
            self.candidates,
            self.min_distance_km if distance_km is None else distance_km,
            self.requirements if requirements is None else requirements,
            asked if distance_km is not None and distance_km < asked else self.asked_distance_km,
        )

    def shortfall(self, x: np.ndarray) -> int:
        counts = self.member[x].sum(axis=0)
        return int(np.clip(self.minima - counts, 0, None).sum())

    def close_pairs(self, x: np.ndarray) -> int:
        return int(self.close[np.ix_(x, x)].sum() // 2)

    def value(self, x: np.ndarray) -> float:
        """The lexicographic value of a selection (higher is better); -inf if infeasible."""
        if self.hard[np.ix_(x, x)].any() or self.close_pairs(x) or x.sum() > self.n:
            return -np.inf
        return float(
            self.coef[x].sum()
            - self.penalty * self.shortfall(x)
            - self.missing_penalty * (self.n - int(x.sum()))
        )

    def best_addition(self, x: np.ndarray, removed: int | None) -> tuple[int, float] | None:
        """Return the best candidate to add to `x` (after removing `removed`), and the value."""
        rest = x.copy()
        if removed is not None:
            rest[removed] = False
        if rest.sum() >= self.n:
            return None
        free = ~rest & ~self.hard[:, rest].any(axis=1) & ~self.close[:, rest].any(axis=1)
        if removed is not None:
            free[removed] = False
        if not free.any():
            return None
        counts = self.member[rest].sum(axis=0)[None, :] + self.member
        short = np.clip(self.minima[None, :] - counts, 0, None).sum(axis=1)
        size = int(rest.sum()) + 1
        value = (
            self.coef[rest].sum() + self.coef
            - self.penalty * short - self.missing_penalty * (self.n - size)
        )  # fmt: skip
        value[~free] = -np.inf
        best = int(np.argmax(value))  # the first of equals: candidates are in key order
        return best, float(value[best])


@dataclass
class Trial:
    """What one solver returned."""

    solver: str
    selected: list[int]
    value: float
    seconds: float
    status: str

    def summary(self, inst: Instance) -> dict:
        x = _mask(inst, self.selected)
        return {
            "solver": self.solver, "status": self.status, "seconds": round(self.seconds, 4),
            "areas": [inst.candidates[i].key for i in self.selected],
            "total_score": round(sum(inst.candidates[i].score for i in self.selected), 6),
            "shortfall": inst.shortfall(x), "close_pairs": inst.close_pairs(x),
            "missing_areas": inst.n - len(self.selected),
        }  # fmt: skip


@dataclass
class Outcome:
    """The kept selection, in rank order, with every solver's trial, on the problem in force."""

    solver: str
    selected: list[int]
    trials: list[Trial]
    note: str
    instance: Instance


def _mask(inst: Instance, selected: Sequence[int]) -> np.ndarray:
    x = np.zeros(len(inst.candidates), dtype=bool)
    x[list(selected)] = True
    return x


def greedy(inst: Instance) -> Trial:
    """Take candidates best first while they fit; then repair shortfalls by swaps."""
    started = time.perf_counter()
    m = len(inst.candidates)
    x = np.zeros(m, dtype=bool)
    for i in np.argsort(-inst.coef, kind="stable"):
        if x.sum() >= inst.n:
            break
        if not (inst.hard[i] & x).any() and not (inst.close[i] & x).any():
            x[i] = True
    for _ in range(MAX_REPAIRS):
        if inst.shortfall(x) == 0:
            break
        current = inst.value(x)
        best: tuple[float, int, int] | None = None
        for removed in np.flatnonzero(x):
            move = inst.best_addition(x, int(removed))
            if move and move[1] > current + 1e-6 and (best is None or move[1] > best[0]):
                best = (move[1], int(removed), move[0])
        if best is None:
            break
        x[best[1]], x[best[2]] = False, True
    selected = [int(i) for i in np.flatnonzero(x)]
    return Trial("greedy", selected, inst.value(x), time.perf_counter() - started, "done")


Row = tuple[list[int], list[float], float, float]


@dataclass
class Model:
    """A problem as linear rows over the areas' variables (and slacks), for the exact solvers.

    Hard: every constraint is a row. Soft: one more variable for the missing areas and one per
    requirement's shortfall, priced as `Instance.value` prices them. When the hard model is
    feasible its optimum is the soft model's (any shortfall costs more than any score), and it
    solves faster, so the exact solvers try it first. The distance in force is always hard.
    `packing` asks only whether `k` areas fit (no comune shared, none too close).
    """

    cost: np.ndarray
    integer: np.ndarray
    upper: np.ndarray
    rows: list[Row]

    @classmethod
    def of(cls, inst: Instance, soft: bool, packing: int | None = None) -> Model:
        m, r_count = len(inst.candidates), len(inst.requirements)
        rows: list[Row] = []
        if packing is not None:
            rows.append((list(range(m)), [1.0] * m, packing, packing))
        else:
            cols = list(range(m)) + ([m] if soft else [])
            rows.append((cols, [1.0] * len(cols), inst.n, inst.n))
        for group in inst.conflict_sets:
            rows.append((list(group), [1.0] * len(group), -np.inf, 1))
        for i, j in zip(*np.nonzero(np.triu(inst.close)), strict=True):
            rows.append(([int(i), int(j)], [1.0, 1.0], -np.inf, 1))
        if packing is not None:
            return cls(np.zeros(m), np.ones(m), np.ones(m), rows)
        for r, req in enumerate(inst.requirements):
            cols = list(req.members) + ([m + 1 + r] if soft else [])
            rows.append((cols, [1.0] * len(cols), req.minimum, np.inf))
        if not soft:
            return cls(-inst.coef, np.ones(m), np.ones(m), rows)
        cost = np.concatenate([-inst.coef, [inst.missing_penalty], np.full(r_count, inst.penalty)])
        # Shortfalls may be continuous: at the optimum they are whole anyway.
        integer = np.concatenate([np.ones(m + 1), np.zeros(r_count)])
        upper = np.concatenate([np.ones(m), [inst.n], inst.minima])
        return cls(cost, integer, upper, rows)

    def matrix(self):
        from scipy.sparse import coo_matrix  # the solvers load on first use: see _solve_highs

        r_idx = [k for k, row in enumerate(self.rows) for _ in row[0]]
        c_idx = [c for row in self.rows for c in row[0]]
        vals = [v for row in self.rows for v in row[1]]
        return coo_matrix((vals, (r_idx, c_idx)), shape=(len(self.rows), len(self.cost))).tocsr()


def _solve_highs(model: Model) -> tuple[str, np.ndarray | None, str]:
    """Return ("optimal" | "infeasible" | "stopped" | "failed", x, message)."""
    # Imported here: the solvers take a second to load and most commands never select areas.
    from scipy.optimize import Bounds, LinearConstraint, milp

    result = milp(
        model.cost,
        integrality=model.integer,
        bounds=Bounds(np.zeros(len(model.cost)), model.upper),
        constraints=LinearConstraint(
            model.matrix(), [r[2] for r in model.rows], [r[3] for r in model.rows]
        ),
        options={"disp": False, "presolve": True, "mip_rel_gap": 0, "time_limit": TIME_LIMIT_S},
    )
    if result.status == 2:
        return "infeasible", None, result.message
    if result.x is None:
        return "failed", None, result.message
    return ("optimal" if result.status == 0 else "stopped"), result.x, result.message


def _solve_cbc(model: Model) -> tuple[str, np.ndarray | None, str]:
    """The same, with CBC through PuLP (a subprocess per solve)."""
    import pulp  # loaded on first use, as in _solve_highs

    prob = pulp.LpProblem("case_areas", pulp.LpMinimize)
    v = [
        prob.add_variable(f"v{k}", 0, float(up), "Integer" if integer else "Continuous")
        for k, (up, integer) in enumerate(zip(model.upper, model.integer, strict=True))
    ]
    prob += pulp.lpSum(float(c) * var for c, var in zip(model.cost, v, strict=True))
    for cols, coefs, low, high in model.rows:
        expr = pulp.lpSum(c * v[j] for j, c in zip(cols, coefs, strict=True))
        if low == high:
            prob += expr == low
        elif np.isfinite(low):
            prob += expr >= low
        else:
            prob += expr <= high
    # The CBC binary that ships with PuLP, called through COIN_CMD (PULP_CBC_CMD is deprecated).
    cbc_binary = pulp.COIN_CMD(
        path=pulp.PULP_CBC_CMD.pulp_cbc_path, msg=False, gapRel=0, gapAbs=1e-6,
        timeLimit=TIME_LIMIT_S, threads=1,
    )  # fmt: skip
    status = prob.solve(cbc_binary)
    if status == pulp.LpStatusInfeasible:
        return "infeasible", None, "infeasible"
    if status != pulp.LpStatusOptimal:
        return "failed", None, pulp.LpStatus[status]
    return "optimal", np.array([var.value() or 0 for var in v]), "optimal"


ENGINES = {"highs": _solve_highs, "cbc": _solve_cbc}


def _exact(inst: Instance, engine: str, hard: tuple | None = None) -> Trial:
    """Solve the hard model (unless already solved: `hard`), then, if infeasible, the soft one."""
    started = time.perf_counter()
    m = len(inst.candidates)
    for soft in (False, True):
        if soft or hard is None:
            status, x, message = ENGINES[engine](Model.of(inst, soft))
        else:
            status, x, message = hard
        if status != "infeasible":
            break
    seconds = time.perf_counter() - started
    if x is None:
        return Trial(engine, [], -np.inf, seconds, f"failed: {message}")
    selected = [i for i in range(m) if x[i] > 0.5]
    model_name = "with shortfalls" if soft else "every requirement met"
    return Trial(engine, selected, inst.value(_mask(inst, selected)), seconds,
                 f"{status}, {model_name}")  # fmt: skip


def highs(inst: Instance) -> Trial:
    """Solve exactly with HiGHS (scipy.optimize.milp), in process: hard model first."""
    return _exact(inst, "highs")


def cbc(inst: Instance) -> Trial:
    """Solve exactly with CBC, through PuLP: hard model first."""
    return _exact(inst, "cbc")


SOLVERS = {"greedy": greedy, "highs": highs, "cbc": cbc}


def _fits(inst: Instance, distance_km: float, k: int, engine: str) -> bool:
    return ENGINES[engine](Model.of(inst.variant(distance_km), False, packing=k))[0] != "infeasible"


def fit_distance(inst: Instance, engine: str) -> Instance:
    """Lower the minimum distance, if needed, to the largest at which the areas still fit."""
    # "The areas": N, or as many as fit at all when comuni run out.
    n = min(inst.n, len(inst.candidates))
    if n == 0 or _fits(inst, inst.min_distance_km, n, engine):
        return inst
    while n > 0 and not _fits(inst, 0.0, n, engine):  # too few comuni for N areas
        n -= 1
    if n == 0 or _fits(inst, inst.min_distance_km, n, engine):
        return inst
    # Candidate distances below the asked one: the largest at which n areas still fit.
    upper = np.triu(~inst.hard & (inst.distance < inst.min_distance_km), 1)
    steps = np.unique(np.concatenate([[0.0], inst.distance[upper]]))
    low, high = 0, len(steps) - 1  # fits at steps[low]; the asked distance did not
    while low < high:
        mid = (low + high + 1) // 2
        if _fits(inst, float(steps[mid]), n, engine):
            low = mid
        else:
            high = mid - 1
    # Distances are compared with "<": a pair exactly at steps[low] km apart is allowed.
    return inst.variant(float(np.floor(steps[low] * 10) / 10))


def choose(inst: Instance, solver: str) -> Outcome:
    """Run the asked solver (auto: greedy and HiGHS), keep the better selection, rank it."""
    engine = "cbc" if solver == "cbc" else "highs"
    if not inst.candidates:
        # No responses yet, or every comune excluded: an empty selection, and no solver has a
        # problem to solve (HiGHS refuses one with no variables).
        empty = Trial("greedy", [], 0.0, 0.0, "no candidates")
        return Outcome("greedy", [], [empty], "no candidates: nothing to select", inst)
    trials = []
    if solver == "greedy":
        inst = fit_distance(inst, engine)
    else:
        # Usually every constraint can be met: then that one solve is the exact answer.
        started = time.perf_counter()
        hard = ENGINES[engine](Model.of(inst, soft=False))
        if hard[0] == "infeasible":
            inst = fit_distance(inst, engine)
            trials.append(_exact(inst, engine))
        else:
            trials.append(_exact(inst, engine, hard))
            trials[-1].seconds += time.perf_counter() - started
    if solver in ("auto", "greedy"):
        trials.insert(0, greedy(inst))
    usable = [t for t in trials if t.selected or inst.n == 0]
    if not usable:  # an exact solver failed on its own: greedy always answers
        trials.append(greedy(inst))
        usable = trials[-1:]
    # Better value wins; on a tie the exact solver's, which is certified optimal.
    kept = sorted(usable, key=lambda t: (-t.value, t.solver == "greedy"))[0]
    if len(trials) > 1:
        other = next(t for t in trials if t is not kept)
        same = set(other.selected) == set(kept.selected)
        note = (
            f"{kept.solver} kept; {other.solver} found the same areas"
            if same
            else f"{kept.solver} kept: a better selection than {other.solver}'s"
        )
    else:
        note = f"{kept.solver} only, as asked"
    ranked = sorted(
        kept.selected, key=lambda i: (-inst.candidates[i].score, inst.candidates[i].key)
    )
    return Outcome(kept.solver, ranked, trials, note, inst)


QUOTA_WORDS = {
    "informal": "informal housing dominates",
    "formal": "formal housing dominates",
    "seasonal": "seasonal work dominates",
    "stable": "stable work dominates",
}


def constraint_report(inst: Instance, selected: Sequence[int]) -> dict:
    """Say, for every constraint, what was asked, what was achieved and whether it holds."""
    x = _mask(inst, selected)
    keys = [inst.candidates[i].key for i in selected]
    n_sel = len(selected)
    items: list[dict[str, Any]] = [{
        "id": "count", "kind": "count", "required": inst.n, "achieved": n_sel,
        "met": n_sel == inst.n,
        "message": f"{counted(n_sel, 'area')} selected" + ("" if n_sel == inst.n else (
            f", not {inst.n}: no comune is a candidate" if not inst.candidates else
            f", not {inst.n}: no more candidates can be added without sharing a comune")),
    }, {
        "id": "no_shared_comune", "kind": "no_shared_comune", "required": 0,
        "achieved": int(inst.hard[np.ix_(x, x)].sum() // 2), "met": True,
        "message": "no two areas share a comune",
    }]  # fmt: skip
    for r, req in enumerate(inst.requirements):
        got = [inst.candidates[i].key for i in selected if inst.member[i, r]]
        met = len(got) >= req.minimum
        if req.kind == "quota":
            words = QUOTA_WORDS[req.subject]
            message = f"{counted(len(got), 'area')} where {words} (at least {req.minimum})"
            if not met:
                if req.minimum > inst.n:
                    why = f"more than the {counted(inst.n, 'area')} asked for"
                elif len(req.members) < req.minimum:
                    why = f"only {counted(len(req.members), 'candidate')} of this type"
                else:
                    why = "no more fit with the other constraints"
                message = (
                    f"quota not met: at least {counted(req.minimum, 'area')} where {words} "
                    f"{'was' if req.minimum == 1 else 'were'} asked, the best feasible "
                    f"selection has {len(got)} ({why})"
                )
        else:
            message = (
                f"{counted(len(got), 'area')} in {req.subject} (at least 1: it has candidates)"
            )
            if not met:
                message = (
                    f"ripartizione not covered: {req.subject} has "
                    f"{counted(len(req.members), 'candidate')} but none fits with the other "
                    "constraints"
                )
        items.append({
            "id": req.id, "kind": req.kind, "subject": req.subject, "required": req.minimum,
            "achieved": len(got), "met": met, "areas": got, "candidates": len(req.members),
            "message": message,
        })  # fmt: skip
    asked = inst.asked_distance_km if inst.asked_distance_km is not None else inst.min_distance_km
    pairs = [
        [inst.candidates[i].key, inst.candidates[j].key, round(float(inst.distance[i, j]), 1)]
        for a, i in enumerate(selected)
        for j in selected[a + 1 :]
        if inst.distance[i, j] < asked
    ]
    sub = inst.distance[np.ix_(x, x)][~np.eye(n_sel, dtype=bool)] if n_sel > 1 else np.array([])
    closest = round(float(sub.min()), 1) if sub.size else None
    if not pairs:
        message = f"the closest two areas are {closest} km apart (at least {asked:g} km)"
    else:
        message = (
            f"minimum distance not met: {counted(n_sel, 'area')} do not fit {asked:g} km apart; "
            f"it was lowered to {inst.min_distance_km:g} km, the largest at which they fit, and "
            f"{counted(len(pairs), 'pair')} of areas {'is' if len(pairs) == 1 else 'are'} closer "
            f"than {asked:g} km (closest {closest} km)"
        )
    items.append({
        "id": "min_distance", "kind": "min_distance", "required": asked, "achieved": closest,
        "met": not pairs, "relaxed_to": inst.min_distance_km if pairs else None,
        "pairs_closer": sorted(pairs), "message": message,
    })  # fmt: skip
    failed = [i["id"] for i in items if not i["met"]]
    summary = (
        "every constraint holds"
        if not failed
        else "not every constraint could be met: "
        + "; ".join(i["message"] for i in items if not i["met"])
        + ". The areas are the best feasible set."
    )
    return {"all_met": not failed, "failed": failed, "summary": summary, "items": items,
            "areas": keys}  # fmt: skip
