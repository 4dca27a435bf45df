"""The facts behind each estimate, in plain words.

The features fall into groups, one per fact a person can check ("6 of 8 responding comuni
within 25 km report workers"). A group's effect is the sum of its features' terms in the
fitted log-odds, measured from the average respondent (standardised features times their
coefficients). The facts given for a comune are the groups that push its estimate furthest in
the direction it goes (up for a comune above the average, down for one below), at most three,
and only those that act the way they read: a fact that reads "more than the average" (more
neighbours reporting, a larger comune) must push up, one that reads "less" must push down.

A fact can act against its reading: given what the neighbours say, a high regional rate
usually lowers the estimate a little (the region's rate is carried by districts elsewhere in
it). That is sound statistics but reads as nonsense in a sentence, so such a fact is left out
of the words; its effect stays in the estimate, and in the coefficients of the stored fit.
"""

from __future__ import annotations

import numpy as np

from app.geo.analysis.nonresponse.features import FeatureSet
from app.geo.analysis.nonresponse.geography import BANDS_KM, Geography

GROUPS: tuple[str, ...] = (
    *(f"nearby_{km}km" for km in BANDS_KM),
    "contiguous", "informal_nearby", "formal_nearby", "region", "ripartizione", "size",
)  # fmt: skip
MAX_FACTS = 3


def _of(k: int, n: int, where: str) -> str:
    """'6 of 8 responding comuni within 25 km report workers', and its singular forms."""
    if n == 0:
        return f"no comune {where} has answered"
    if n == 1:
        verb = "reports workers" if k else "reports no workers"
        return f"the only responding comune {where} {verb}"
    if k == 0:
        return f"none of the {n} responding comuni {where} reports workers"
    return f"{k} of {n} responding comuni {where} report{'s' if k == 1 else ''} workers"


def _rate(k: int, n: int, where: str, other: bool) -> str:
    whom = "other respondents" if other else "respondents"
    if n == 0:
        return f"{where}, no {whom} yet"
    return f"{where}, {100 * k / n:.0f}% of {whom} report workers ({k} of {n})"


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def fact(group: str, facts: dict[str, np.ndarray], i: int) -> str:
    """Say in words what one group of features records for comune i."""

    def f(name: str) -> int:
        return int(round(float(facts[name][i])))

    own = bool(facts["responded"][i])
    if group.startswith("nearby_"):
        band = group.removeprefix("nearby_")
        within = f"within {band.removesuffix('km')} km"
        return _of(f(f"reporting_{band}"), f(f"respondents_{band}"), within)
    if group == "contiguous":
        return _of(f("reporting_contiguous"), f("respondents_contiguous"), "bordering it")
    if group == "informal_nearby":
        near, far, people = f("informal_10km"), f("informal_25km"), f("informal_people_25km")
        if far == 0:
            return "no informal settlement reported within 25 km"
        text = f"{_count(far, 'informal settlement')} reported within 25 km"
        text += f" (about {people:,} people)"
        return text + (f", {near} of them within 10 km" if near else "")
    if group == "formal_nearby":
        n = f("formal_25km")
        if n == 0:
            return "no formal settlement reported within 25 km"
        return f"{_count(n, 'formal settlement')} reported within 25 km"
    if group == "region":
        where = f"in {facts['region_name'][i]}"
        return _rate(f("region_reporting"), f("region_respondents"), where, own)
    if group == "ripartizione":
        where = f"in the {facts['ripartizione'][i]} ripartizione"
        return _rate(f("ripartizione_reporting"), f("ripartizione_respondents"), where, own)
    km2 = facts["area_km2"][i]
    area = f"{km2:,.0f} km²" if km2 >= 10 else f"{km2:.1f} km²"
    if not facts["population_known"][i]:
        return f"2011 population unknown, {area}"
    return f"{int(facts['population_2011'][i]):,} residents (2011 census) on {area}"


def drivers(
    geo: Geography, features: FeatureSet, contributions: np.ndarray, readings: np.ndarray
) -> list[list[dict]]:
    """Return, for every comune, the facts that move its estimate most, with their effect."""
    facts = dict(features.facts)
    for column in ("region_name", "ripartizione", "area_km2", "population_2011"):
        facts[column] = geo.comuni[column].to_numpy()
    total = contributions.sum(axis=1)
    direction = np.where(total < 0, -1.0, 1.0)
    toward = contributions * direction[:, None]
    # Acting the way it reads, and in the estimate's direction; the others sort last.
    sayable = np.where((toward > 0) & (readings * direction[:, None] > 0), toward, -np.inf)
    order = np.argsort(-sayable, axis=1, kind="stable")[:, :MAX_FACTS]
    out = []
    for i in range(len(contributions)):
        chosen = [g for g in order[i] if sayable[i, g] > -np.inf]
        if not chosen:  # nothing sayable: the largest term, whatever it reads
            chosen = [int(np.argmax(np.abs(contributions[i])))]
        out.append([
            {"group": GROUPS[g], "text": fact(GROUPS[g], facts, i),
             "effect": round(float(contributions[i, g]), 3)}
            for g in chosen
        ])  # fmt: skip
    return out
