"""A differencing attack on published indicators, solved as linear programs.

It knows only what the public sees: every level's published rows and how units nest. Each
withheld cell is a variable; each published or withheld total equals the sum of its children;
mid = (min + max) / 2 ties the informal-persons trio; counts are non-negative. For every withheld
cell it finds the smallest and largest value consistent with all of that.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import lil_matrix

LEVELS = ["comune", "province", "region", "ripartizione", "italy"]
TRIO = ("informal_persons_min", "informal_persons_max", "informal_persons_mid")


def feasible_ranges(
    rows: dict[str, list[dict]], parent: dict[tuple[str, str], tuple[str, str]], fields: list[str]
) -> dict[tuple[str, str, str], tuple[float, float]]:
    """Return (lowest, highest) feasible value of every withheld (level, code, field)."""
    groups = [TRIO] + [(f,) for f in fields if f not in TRIO]
    ranges = {}
    for group in groups:
        ranges.update(_solve(rows, parent, group))
    return ranges


def _solve(rows, parent, group):
    cells = {(level, r["code"]): r for level in LEVELS for r in rows[level]}
    variables: dict[tuple[str, str, str], int] = {}
    for (level, code), row in cells.items():
        for f in group:
            if f in row["suppressed_fields"]:
                variables[(level, code, f)] = len(variables)
    if not variables:
        return {}
    equations: list[tuple[dict[int, float], float]] = []
    children = defaultdict(list)
    for cell in cells:
        if cell in parent:
            children[parent[cell]].append(cell)
    for f in group:
        for top, kids in children.items():
            coef: dict[int, float] = defaultdict(float)
            rhs = 0.0
            for cell, sign in [(top, 1.0)] + [(k, -1.0) for k in kids]:
                key = (*cell, f)
                if key in variables:
                    coef[variables[key]] += sign
                else:
                    rhs -= sign * (cells[cell][f] or 0.0)  # null (no answer) counts nothing
            if coef:
                equations.append((coef, rhs))
    if len(group) == 3:
        low, high, mid = group
        for cell in cells:
            keys = [(*cell, f) for f in (mid, low, high)]
            if any(k in variables for k in keys):
                coef, rhs = defaultdict(float), 0.0
                for k, c in zip(keys, (1.0, -0.5, -0.5), strict=True):
                    if k in variables:
                        coef[variables[k]] += c
                    else:
                        rhs -= c * (cells[cell][k[2]] or 0.0)
                equations.append((coef, rhs))
    return _ranges(variables, equations)


def _components(n: int, equations) -> list[list[int]]:
    link = list(range(n))

    def find(i):
        while link[i] != i:
            link[i] = link[link[i]]
            i = link[i]
        return i

    for coef, _ in equations:
        ids = list(coef)
        for other in ids[1:]:
            link[find(other)] = find(ids[0])
    comps = defaultdict(list)
    for i in range(n):
        comps[find(i)].append(i)
    return list(comps.values())


def _ranges(variables, equations):
    names = {i: k for k, i in variables.items()}
    out = {}
    for comp in _components(len(variables), equations):
        local = {v: j for j, v in enumerate(comp)}
        eqs = [(c, r) for c, r in equations if next(iter(c)) in local]
        a = lil_matrix((max(len(eqs), 1), len(comp)))
        b = np.zeros(max(len(eqs), 1))
        for row, (coef, rhs) in enumerate(eqs):
            for v, c in coef.items():
                a[row, local[v]] = c
            b[row] = rhs
        for v, j in local.items():
            bounds = []
            for sense in (1, -1):
                c = np.zeros(len(comp))
                c[j] = sense
                res = linprog(c, A_eq=a.tocsr() if eqs else None, b_eq=b if eqs else None,
                              bounds=(0, None), method="highs")  # fmt: skip
                if res.status == 3:  # unbounded
                    bounds.append(-np.inf * sense)
                else:
                    assert res.status == 0, res.message
                    bounds.append(sense * res.fun)
            out[names[v]] = (bounds[0], bounds[1])
    return out
