"""Candidate areas from three sources, with overlaps merged or resolved explicitly.

- A settlement cluster (DBSCAN on informal settlement points) gives the comuni it touches.
- A hot spot gives each connected group of comuni that are Gi* hot spots at the chosen
  confidence *and report some of the indicator themselves*: a comune is often hot only because
  its neighbours are, and an area with nothing to study there is not a case area.
- A single comune is a candidate when it is among the best-scoring comuni nationally, of its
  ripartizione, or of its type (so that every ripartizione and type has somewhere to come from).

Candidates are contiguous: a cluster whose comuni do not touch is split into its contiguous
parts (recorded). Overlapping groups (clusters and hot spots) are merged into their union, since
they are the same place seen two ways (recorded, with the shared comuni). A single comune that
lies inside a group stays a candidate of its own, as the compact alternative to the group; the
two share a comune, so the selection can take at most one of them (recorded as an overlap).
Only responding comuni take part, and never an excluded one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from app.geo.case_areas.inputs import Inputs
from app.geo.case_areas.params import LABELS, Parameters
from app.geo.case_areas.scoring import (
    COUNTS,
    NAMES,
    Scale,
    count_matrix,
    label_masks,
    raw_measures,
    scores,
    typology,
    weight_vector,
)
from app.geo.case_areas.surroundings import poorly_covered


@dataclass
class Candidate:
    """A comune or a group of contiguous comuni that could become a case area."""

    key: str  # its comuni, sorted, joined by "+": the same area has the same key in every run
    comuni: tuple[str, ...]
    sources: list[dict]
    merged_from: list[str] = field(default_factory=list)
    within: str | None = None  # the group a single comune lies inside
    indicators: dict = field(default_factory=dict)
    normalised: dict = field(default_factory=dict)
    contributions: dict = field(default_factory=dict)
    score: float = 0.0
    typology: dict = field(default_factory=dict)
    ripartizioni: list[str] = field(default_factory=list)
    provinces: list[str] = field(default_factory=list)
    centroid: tuple[float, float] = (0.0, 0.0)  # ETRS89-LAEA, km
    name: str = ""
    surroundings: dict = field(default_factory=dict)  # response within 25 km, and the model

    @property
    def labels(self) -> list[str]:
        return self.typology["labels"]


@dataclass
class Pool:
    """The candidates of one selection, in key order, and how overlaps were handled."""

    candidates: list[Candidate]
    merges: list[dict]
    splits: list[dict]
    overlaps: list[dict]
    # Candidates left out because too few comuni around them answered (min_coverage).
    poorly_covered: list[dict] = field(default_factory=list)


ASSESSED = ("indicators", "normalised", "contributions", "score", "typology", "ripartizioni",
            "provinces", "centroid", "name", "surroundings")  # fmt: skip


class Context:
    """What stays fixed while candidates are built and rebuilt: the wave's comuni and scale."""

    def __init__(self, inputs: Inputs, params: Parameters) -> None:
        self.inputs, self.params = inputs, params
        comuni = inputs.comuni
        self.comuni = comuni
        self.row = {str(code): i for i, code in enumerate(comuni.index)}
        self.counts = count_matrix(comuni)
        self.scale = Scale.of(self.counts)
        self.weights = weight_vector(params)
        normalised = self.scale.normalise(raw_measures(self.counts))
        self.comune_scores = scores(normalised, self.weights)
        self.responded = set(comuni.index[comuni["responded"] == 1].astype(str))
        self.comune_labels = label_masks(self.counts, params.dominance)
        self._assessed: dict[str, dict] = {}
        # Plain arrays: pools are rebuilt once per area for the runner-ups, and pandas
        # indexing in that loop would cost more than the selection itself.
        self.codes = [str(c) for c in comuni.index]
        self.ripartizione = comuni["ripartizione"].tolist()
        self.province = comuni["province_name"].tolist()
        self.label = comuni["label"].tolist()
        self.population = comuni["population_2011"].fillna(0).tolist()
        scored = np.flatnonzero(self.comune_scores > 0)
        codes = np.array(self.codes)
        # Best first; equal scores in code order, so that no ranking depends on chance.
        self.ranking = scored[np.lexsort((codes[scored], -self.comune_scores[scored]))].tolist()

    def assess(self, candidate: Candidate) -> None:
        """Fill in a candidate's indicators, score, type, geography and name."""
        # Runner-ups rebuild the pool once per area: the same comuni give the same figures.
        if candidate.key in self._assessed:
            for name, value in self._assessed[candidate.key].items():
                setattr(candidate, name, value)
            return
        rows = [self.row[c] for c in candidate.comuni]
        sums = self.counts[rows].sum(axis=0, keepdims=True)
        raw = raw_measures(sums)
        normalised = self.scale.normalise(raw)
        candidate.score = float(scores(normalised, self.weights)[0])
        total = self.weights.sum()
        candidate.indicators = _indicators(sums[0], raw[0])
        candidate.normalised = {
            n: round(float(v), 6) for n, v in zip(NAMES, normalised[0], strict=True)
        }
        candidate.contributions = {
            n: round(float(v * w / total), 6)
            for n, v, w in zip(NAMES, normalised[0], self.weights, strict=True)
        }
        candidate.typology = typology(sums, self.params.dominance)[0]
        candidate.ripartizioni = sorted({self.ripartizione[r] for r in rows})
        candidate.provinces = sorted({self.province[r] for r in rows})
        candidate.name = area_name([(self.population[r], self.label[r]) for r in rows])
        places = self.inputs.centroids.of(list(candidate.comuni))
        xs, ys, areas = (np.array(v) for v in zip(*places.values(), strict=True))
        # The centroid of a union of disjoint polygons is the area-weighted mean of theirs.
        candidate.centroid = (
            round(float((xs * areas).sum() / areas.sum()), 3),
            round(float((ys * areas).sum() / areas.sum()), 3),
        )
        candidate.surroundings = self.inputs.surroundings.of(rows)
        self._assessed[candidate.key] = {name: getattr(candidate, name) for name in ASSESSED}


def _indicators(sums: np.ndarray, raw: np.ndarray) -> dict:
    counts = dict(zip(COUNTS, sums.tolist(), strict=True))
    out = {n: round(float(v), 6) for n, v in zip(NAMES, raw, strict=True)}
    out.update(
        comuni_responding=int(counts["responded"]),
        population_2011=int(counts["population"]),
        workers_stable=int(counts["workers_stable"]),
        workers_seasonal=int(counts["workers_seasonal"]),
        informal_settlements=int(counts["informal_settlements"]),
        formal_settlements=int(counts["formal_settlements"]),
        formal_capacity=int(counts["formal_capacity"]),
    )
    return out


def area_name(comuni: list[tuple[float, str]]) -> str:
    """Name an area after its two most populous comuni: "Foggia – San Severo area"."""
    names = [name for _, name in sorted(comuni, key=lambda pn: (-pn[0], pn[1]))]
    return names[0] if len(names) == 1 else f"{names[0]} – {names[1]} area"


def components(codes: set[str], graph: dict[str, frozenset[str]]) -> list[tuple[str, ...]]:
    """Split comuni into contiguous groups, each sorted, in order of their first comune."""
    seen: set[str] = set()
    out = []
    for start in sorted(codes):
        if start in seen:
            continue
        seen.add(start)
        stack, group = [start], []
        while stack:
            code = stack.pop()
            group.append(code)
            for n in graph.get(code, ()):
                if n in codes and n not in seen:
                    seen.add(n)
                    stack.append(n)
        out.append(tuple(sorted(group)))
    return out


def key_of(comuni: tuple[str, ...]) -> str:
    return "+".join(comuni)


def build_pool(ctx: Context, exclude: set[str]) -> Pool:
    """Build, merge and score the candidates, leaving out the excluded comuni."""
    inputs, params = ctx.inputs, ctx.params
    usable = ctx.responded - exclude
    groups: list[Candidate] = []
    splits = []
    for cluster in inputs.clusters:
        codes = {c["code"] for c in cluster["comuni"]} & usable
        parts = components(codes, inputs.graph)
        if len(parts) > 1:
            splits.append({"cluster": cluster["cluster"], "parts": [key_of(p) for p in parts],
                           "why": "its comuni are not contiguous"})  # fmt: skip
        for part in parts:
            source = {"kind": "cluster", "cluster": cluster["cluster"],
                      "settlements": cluster["settlements"],
                      "persons_mid": cluster["persons_mid"], "eps_km": params.cluster_eps_km,
                      "min_points": params.cluster_min_points}  # fmt: skip
            groups.append(Candidate(key_of(part), part, [source]))
    values = ctx.comuni[params.hotspot_indicator]
    core = {c for c in inputs.hot if c in usable and values.get(c, 0) > 0}
    for part in components(core, inputs.graph):
        source = {"kind": "hotspot", "indicator": params.hotspot_indicator,
                  "confidence": params.hotspot_confidence,
                  "classes": sorted({inputs.hot[c] for c in part})}  # fmt: skip
        groups.append(Candidate(key_of(part), part, [source]))
    merged, merges = _merge(groups)
    by_key = {c.key: c for c in merged}
    overlaps = []
    member_of = {code: c.key for c in merged for code in c.comuni}
    for code, sources in _singles(ctx, usable).items():
        key = key_of((code,))
        if key in by_key:
            by_key[key].sources.extend(sources)
            continue
        single = Candidate(key, (code,), sources, within=member_of.get(code))
        if single.within:
            overlaps.append({"candidate": key, "within": single.within,
                             "resolution": "kept as the compact alternative; the selection "
                                           "takes at most one of the two"})  # fmt: skip
        by_key[key] = single
    pool = [by_key[k] for k in sorted(by_key)]
    for candidate in pool:
        ctx.assess(candidate)
    kept, dropped = [], []
    for candidate in pool:
        if poorly_covered(candidate.surroundings, params.min_coverage):
            dropped.append({
                "key": candidate.key, "name": candidate.name, "score": candidate.score,
                "surroundings": candidate.surroundings,
                "why": f"{candidate.surroundings['responded']} of "
                       f"{candidate.surroundings['comuni']} comuni within "
                       f"{candidate.surroundings['radius_km']} km answered, below the "
                       f"min_coverage of {params.min_coverage:g}",
            })  # fmt: skip
        else:
            kept.append(candidate)
    return Pool(kept, merges, splits, overlaps, dropped)


def _merge(groups: list[Candidate]) -> tuple[list[Candidate], list[dict]]:
    """Merge groups that share a comune into their union; record each merge."""
    parent = list(range(len(groups)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, g in enumerate(groups):
        for code in g.comuni:
            if code in owner:
                parent[find(i)] = find(owner[code])
            else:
                owner[code] = i
    families: dict[int, list[Candidate]] = {}
    for i, g in enumerate(groups):
        families.setdefault(find(i), []).append(g)
    out, merges = [], []
    for family in families.values():
        comuni = tuple(sorted({c for g in family for c in g.comuni}))
        sources = [s for g in family for s in g.sources]
        parts = sorted({g.key for g in family})
        candidate = Candidate(key_of(comuni), comuni, sources)
        if len(family) > 1:
            candidate.merged_from = parts
            shared = sorted(
                {c for g in family for c in g.comuni if sum(c in h.comuni for h in family) > 1}
            )
            why = "overlapping groups are the same place seen two ways"
            merges.append(
                {"into": candidate.key, "parts": parts, "shared_comuni": shared, "why": why}
            )
        out.append(candidate)
    return sorted(out, key=lambda c: c.key), sorted(merges, key=lambda m: m["into"])


def _singles(ctx: Context, usable: set[str]) -> dict[str, list[dict]]:
    """Return the single comuni admitted as candidates, each with the rules that admitted it."""
    params = ctx.params
    ranking = [i for i in ctx.ranking if ctx.codes[i] in usable]
    admitted: dict[str, list[dict]] = {}

    def admit(rows: list[int], rule: str, limit: int) -> None:
        for position, i in enumerate(rows[:limit], start=1):
            admitted.setdefault(ctx.codes[i], []).append(
                {"kind": "single", "rule": rule, "position": position, "of": len(rows)}
            )

    admit(ranking, "best-scoring comuni nationally", params.singles_national)
    for name in sorted({ctx.ripartizione[i] for i in ranking}):
        rows = [i for i in ranking if ctx.ripartizione[i] == name]
        admit(rows, f"best-scoring comuni in {name}", params.singles_per_ripartizione)
    for label in LABELS:
        rows = [i for i in ranking if ctx.comune_labels[label][i]]
        admit(rows, f"best-scoring {label}-dominant comuni", params.singles_per_type)
    return admitted
