"""Plain-language reasons, each citing the trace values or constraints it rests on.

A reason is {"text", "cites"}. For analysts, each cite is {"path", "value", "kind", "shown"}:
`path` points into the run's stored trace, `value` is what is there, and `shown` (the value as
`show(value, kind)` writes it) appears in the text. A test resolves every path.

Public reasons are built only from what the public may see: geography (comuni, provinces),
constraints, and comune figures that the suppression pattern publishes. Each cites
{"kind": "geography" | "constraint" | "published" | "coverage", ...}; a published cite names
the cell (level, code, field) and its value; a coverage cite, how many comuni around the area
answered (public: the comuni layer says which answered), never the model's estimate. A
withheld figure is never used: a total that would need one is given as "at least" the
published part, or said to be withheld.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from app.geo.analysis.disclosure import Pattern
from app.geo.case_areas.scoring import BY_NAME
from app.geo.case_areas.selection import QUOTA_WORDS

KIND_OF_MEASURE = {
    "informal_people": "count", "workers_rate": "rate", "service_deficit": "count",
    "years_active": "count", "seasonal_intensity": "share", "formal_occupancy": "count",
}  # fmt: skip


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def show(value: Any, kind: str) -> str:
    """Write a cited value as the reason's text shows it."""
    if kind == "count":
        v = float(value)
        return f"{int(v):,}" if v.is_integer() else f"{v:,.1f}"
    if kind == "share":
        return f"{round(float(value) * 100)}%"
    if kind == "score":
        return f"{float(value):.3f}"
    if kind == "rate":
        return f"{float(value):,.1f}"
    if kind == "km":
        return f"{float(value):g} km"
    if kind == "len":
        return str(len(value))
    if kind == "ordinal":
        return ordinal(int(value))
    if kind == "rank_word":
        return "largest" if int(value) == 1 else ordinal(int(value)) + " largest"
    return str(value)


class Cites:
    """Collect the cites of one reason while its text is written."""

    def __init__(self, trace: dict) -> None:
        self.trace = trace
        self.cites: list[dict] = []

    def __call__(self, path: str, kind: str) -> str:
        value = resolve(self.trace, path)
        shown = show(value, kind)
        self.cites.append({"path": path, "value": value, "kind": kind, "shown": shown})
        return shown

    def reason(self, text: str) -> dict:
        out = {"text": text, "cites": self.cites}
        self.cites = []
        return out


def resolve(trace: dict, path: str) -> Any:
    """Return the value at a path such as `candidates[3].typology.shares.informal`."""
    node: Any = trace
    for part in path.replace("]", "").split("."):
        name, _, index = part.partition("[")
        if name:
            node = node[name]
        if index:
            node = node[int(index)]
    return node


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def analyst_reasons(trace: dict, index: int) -> list[dict]:
    """Return the reasons of a selected candidate, citing the trace."""
    c = trace["candidates"][index]
    at = f"candidates[{index}]"
    cite = Cites(trace)
    out = []
    score = cite(f"{at}.score", "score")
    rank = cite(f"{at}.score_rank", "ordinal")
    total = cite("summary.candidates", "count")
    noun = _plural(trace["summary"]["candidates"], "candidate", "candidates")
    out.append(cite.reason(f"score {score}, {rank} of {total} {noun}"))
    weighted = sorted(
        (n for n, w in trace["parameters"]["weights"].items() if w > 0),
        key=lambda n: (-c["contributions"][n], n),
    )
    firsts = 0
    for name in weighted:
        for rip in c["ripartizioni"]:
            if firsts < 2 and c["ripartizione_ranks"][name][rip] == 1 and c["indicators"][name] > 0:
                word = cite(f"{at}.ripartizione_ranks.{name}.{rip}", "rank_word")
                value = cite(f"{at}.indicators.{name}", KIND_OF_MEASURE[name])
                m = BY_NAME[name]
                unit = "" if m.unit == "share" else f" {m.unit}"
                out.append(cite.reason(
                    f"{word} {m.short} among the candidates in {rip}: {value}{unit}"
                ))  # fmt: skip
                firsts += 1
    if not firsts and weighted:
        name = weighted[0]
        m = BY_NAME[name]
        value = cite(f"{at}.indicators.{name}", KIND_OF_MEASURE[name])
        part = cite(f"{at}.contributions.{name}", "score")
        unit = "" if m.unit == "share" else f" {m.unit}"
        out.append(cite.reason(
            f"its {m.short} weighs most in its score: {value}{unit}, adding {part} of the score"
        ))  # fmt: skip
    n_comuni = len(c["comuni"])
    comuni = cite(f"{at}.comuni", "len")
    provinces = cite(f"{at}.provinces", "len")
    out.append(cite.reason(
        f"covers {comuni} {_plural(n_comuni, 'comune', 'comuni')} "
        f"{'in' if len(c['provinces']) == 1 else 'across'} {provinces} "
        f"{_plural(len(c['provinces']), 'province', 'provinces')} "
        f"({', '.join(c['provinces'])})"
    ))  # fmt: skip
    out.extend(_typology_reasons(cite, c, at))
    out.extend(_source_reasons(cite, c, at))
    out.extend(_coverage_reasons(cite, c, at))
    needed = {cf["constraint"]: k for k, cf in enumerate(trace.get("counterfactuals", ()))}
    for j, item in enumerate(trace["constraints"]["items"]):
        if c["key"] not in item.get("areas", ()) or item["achieved"] > item["required"]:
            continue
        k = needed.get(item["id"])
        brought = k is not None and c["key"] in trace["counterfactuals"][k]["needed"]
        got = cite(f"constraints.items[{j}].achieved", "count")
        need = cite(f"constraints.items[{j}].required", "count")
        subject = item["subject"]
        if item["kind"] == "quota":
            what = f"the quota of areas where {QUOTA_WORDS[subject]} ({got} of at least {need})"
        else:
            what = (
                "the rule that each ripartizione with candidates has an area "
                f"({got} in {subject}, at least {need})"
            )
        if brought:
            n = cite(f"counterfactuals[{k}].needed", "len")
            areas = _plural(len(trace["counterfactuals"][k]["needed"]), "area", "areas")
            out.append(cite.reason(
                f"chosen for {what}: one of {n} {areas} that a selection without this "
                "constraint leaves out"
            ))  # fmt: skip
        else:
            out.append(cite.reason(f"counts towards {what}, which it meets exactly"))
    return out


def _typology_reasons(cite: Cites, c: dict, at: str) -> list[dict]:
    out = []
    t = c["typology"]
    for axis, sides, noun in (
        ("housing", ("informal", "formal"), "of the people housed in settlements are in {} ones"),
        ("work", ("seasonal", "stable"), "of the workers are {}"),
    ):
        kind = t[axis]
        if kind in sides:
            share = cite(f"{at}.typology.shares.{kind}", "share")
            out.append(cite.reason(f"{kind} {axis} dominates: {share} {noun.format(kind)}"))
        elif kind == "mixed":
            share = cite(f"{at}.typology.shares.{sides[0]}", "share")
            need = cite("parameters.dominance", "share")
            out.append(cite.reason(
                f"mixed {axis}: {share} {noun.format(sides[0])}, and neither side reaches "
                f"the {need} that would make it dominate"
            ))  # fmt: skip
    return out


def _source_reasons(cite: Cites, c: dict, at: str) -> list[dict]:
    out = []
    sources = list(enumerate(c["sources"]))
    clusters = [(k, s) for k, s in sources if s["kind"] == "cluster"]
    if clusters:
        k, s = max(clusters, key=lambda ks: (ks[1]["settlements"], -ks[0]))
        n = cite(f"{at}.sources[{k}].settlements", "count")
        eps = cite(f"{at}.sources[{k}].eps_km", "km")
        noun = _plural(s["settlements"], "informal settlement", "informal settlements")
        out.append(cite.reason(f"where a cluster of {n} {noun} lies (DBSCAN, {eps} radius)"))
    for k, s in sources:
        if s["kind"] == "hotspot":
            level = cite(f"{at}.sources[{k}].confidence", "count")
            out.append(cite.reason(
                f"a contiguous hot spot of {s['indicator']} (Getis-Ord Gi*, at least {level}% "
                "confidence after false-discovery correction)"
            ))  # fmt: skip
            break
    singles = [(k, s) for k, s in sources if s["kind"] == "single"]
    if singles:
        k, s = min(singles, key=lambda ks: (ks[1]["position"], ks[0]))
        position = cite(f"{at}.sources[{k}].position", "ordinal")
        out.append(cite.reason(f"{position} among the {s['rule']}"))
    if c["merged_from"]:
        parts = cite(f"{at}.merged_from", "len")
        out.append(cite.reason(f"merged from {parts} overlapping candidate groups"))
    return out


def _coverage_reasons(cite: Cites, c: dict, at: str) -> list[dict]:
    """Say so when most comuni around the area are silent, with the model's estimate there."""
    around = c.get("surroundings") or {}
    if not around.get("low_coverage"):
        return []
    s = f"{at}.surroundings"
    answered, n = cite(f"{s}.responded", "count"), cite(f"{s}.comuni", "count")
    km = cite(f"{s}.radius_km", "km")
    text = f"only {answered} of {n} comuni within {km} answered"
    if around["silent"]:
        expected = cite(f"{s}.silent_expected", "count")
        silent = cite(f"{s}.silent", "count")
        low, high = cite(f"{s}.silent_low", "count"), cite(f"{s}.silent_high", "count")
        level = cite(f"{s}.level", "share")
        text += (
            f"; the presence model expects workers in about {expected} of the {silent} silent "
            f"ones ({level} interval {low} to {high}; a model estimate)"
        )
    return [cite.reason(text)]


# --- public ------------------------------------------------------------------------------------

PUBLIC_FIGURES = [
    ("informal_settlements", "informal settlements"),
    ("informal_persons_mid", "people in informal settlements (midpoint estimate)"),
    ("formal_occupants", "people housed in formal settlements"),
    ("workers_seasonal", "seasonal foreign agri-food workers"),
    ("workers_stable", "stable foreign agri-food workers"),
]


class Published:
    """The comune figures the public may see, for the comuni of one area."""

    def __init__(self, comuni: pd.DataFrame, pattern: Pattern, codes: list[str]) -> None:
        self.comuni, self.pattern, self.codes = comuni, pattern, codes

    def cells(self, field: str) -> tuple[list[dict], list[str]]:
        """Return the published cells of a field (as cites) and the comuni where it is withheld."""
        published, withheld = [], []
        for code in self.codes:
            value = self.comuni.at[code, field]
            if field in self.pattern.fields("comune", code) or pd.isna(value):
                withheld.append(code)
            else:
                published.append({"kind": "published", "level": "comune", "code": code,
                                  "field": field, "value": float(value)})  # fmt: skip
        return published, withheld

    def total(self, field: str) -> float | None:
        """The area's total of a field if every comune's figure is published, else None."""
        published, withheld = self.cells(field)
        return None if withheld else sum(c["value"] for c in published)


def public_reasons(
    candidate: dict, trace: dict, published: Published, dominance: float
) -> list[dict]:
    """Return reasons that rest only on geography, constraints and published figures."""
    report = trace["constraints"]
    needed = {cf["constraint"]: cf["needed"] for cf in trace["counterfactuals"]}
    out = []
    n, provinces = len(candidate["comuni"]), candidate["provinces"]
    out.append({
        "text": f"covers {n} {_plural(n, 'comune', 'comuni')} "
                f"{'in' if len(provinces) == 1 else 'across'} {len(provinces)} "
                f"{_plural(len(provinces), 'province', 'provinces')} ({', '.join(provinces)})",
        "cites": [{"kind": "geography", "comuni": candidate["comuni"], "provinces": provinces}],
    })  # fmt: skip
    public_types = set()
    for axis, (a, b), (fa, fb) in (
        ("housing", ("informal", "formal"), ("informal_persons_mid", "formal_occupants")),
        ("work", ("seasonal", "stable"), ("workers_seasonal", "workers_stable")),
    ):
        ta, tb = published.total(fa), published.total(fb)
        if ta is None or tb is None or ta + tb <= 0:
            continue  # the type would rest on a withheld figure: not said
        share = ta / (ta + tb)
        kind = a if share >= dominance else b if 1 - share >= dominance else None
        if kind:
            public_types.add(kind)
            cells = published.cells(fa)[0] + published.cells(fb)[0]
            out.append({"text": f"{kind} {axis} dominates ({round(max(share, 1 - share) * 100)}% "
                                "by the published figures)", "cites": cells})  # fmt: skip
    for item in report["items"]:
        if candidate["key"] not in needed.get(item["id"], ()):
            continue
        if item["kind"] == "ripartizione":
            out.append({"text": f"chosen to represent {item['subject']}: every ripartizione with "
                                "candidate areas gets at least one",
                        "cites": [{"kind": "constraint", "id": item["id"]}]})  # fmt: skip
        elif item["kind"] == "quota" and item["subject"] in public_types:
            out.append({"text": "chosen for the quota of areas where "
                                f"{QUOTA_WORDS[item['subject']]}",
                        "cites": [{"kind": "constraint", "id": item["id"]}]})  # fmt: skip
    around = candidate.get("surroundings") or {}
    if around.get("low_coverage"):  # which comuni answered is public (the comuni layer)
        out.append({
            "text": f"only {around['responded']} of {around['comuni']} comuni within "
                    f"{around['radius_km']} km answered: the context around it is poorly known",
            "cites": [{"kind": "coverage", "responded": around["responded"],
                       "comuni": around["comuni"], "radius_km": around["radius_km"]}],
        })  # fmt: skip
    for field, words in PUBLIC_FIGURES:
        cells, withheld = published.cells(field)
        known = sum(c["value"] for c in cells)
        if withheld and known > 0:
            text = (f"at least {show(known, 'count')} {words} (small counts withheld in "
                    f"{len(withheld)} {_plural(len(withheld), 'comune', 'comuni')})")  # fmt: skip
        elif withheld:
            text = f"{words}: figures withheld to protect small counts"
        elif known > 0:
            text = f"{show(known, 'count')} {words}"
        else:
            continue
        cites = [c for c in cells if c["value"] > 0]
        cites = cites or [{"kind": "withheld", "field": field, "comuni": len(withheld)}]
        out.append({"text": text, "cites": cites})
    return out
