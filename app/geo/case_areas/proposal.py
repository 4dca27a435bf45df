"""One selection, from the data to reasoned areas: candidates, selection, runner-ups and trace.

The runner-up of a slot is what the same selection picks when that area's comuni are excluded:
the selection is re-run, with the same parameters and data, for each area. It is the candidate
that enters the re-run (the best-scoring one, if the re-run changes more than that slot), so
excluding an area's comuni and running again selects the stored runner-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from app.geo.case_areas.candidates import Candidate, Context, Pool, build_pool
from app.geo.case_areas.inputs import Inputs
from app.geo.case_areas.params import Parameters
from app.geo.case_areas.reasons import Published, analyst_reasons, public_reasons
from app.geo.case_areas.scoring import NAMES
from app.geo.case_areas.selection import Instance, Outcome, choose, constraint_report
from app.geo.case_areas.surroundings import RADIUS_KM


@dataclass
class ProposedArea:
    """A selected area with everything a run stores about it."""

    rank: int
    index: int  # in trace["candidates"]
    candidate: dict
    reasons: list[dict]
    public_reasons: list[dict]
    runner_up: dict | None


@dataclass
class Proposal:
    """The outcome of one selection, ready to be stored as a run."""

    params: Parameters
    solver: str
    constraints: dict
    trace: dict
    areas: list[ProposedArea]


def _select(ctx: Context, exclude: set[str]) -> tuple[Pool, Instance, Outcome]:
    pool = build_pool(ctx, exclude)
    outcome = choose(Instance.of(pool.candidates, ctx.params), ctx.params.solver)
    return pool, outcome.instance, outcome


def propose(inputs: Inputs, params: Parameters) -> Proposal:
    """Select the areas of one state of the data, with reasons, runner-ups and a full trace."""
    ctx = Context(inputs, params)
    exclude = set(params.exclude_comuni)
    pool, inst, outcome = _select(ctx, exclude)
    report = constraint_report(inst, outcome.selected)
    chosen = {pool.candidates[i].key for i in outcome.selected}
    counterfactuals = _counterfactuals(inst, report, chosen, params.solver)
    what_ifs: list[dict[str, Any]] = []
    for rank, i in enumerate(outcome.selected, start=1):
        area = pool.candidates[i]
        pool2, _, outcome2 = _select(ctx, exclude | set(area.comuni))
        after = [pool2.candidates[j] for j in outcome2.selected]
        entered = [c for c in after if c.key not in chosen]
        what_ifs.append({
            "rank": rank, "area": area.key, "excluded": list(area.comuni),
            "solver": outcome2.solver, "selected": [c.key for c in after],
            "entered": [c.key for c in entered],
            "left": sorted(chosen - {c.key for c in after} - {area.key}),
            "runner_up": _snapshot(entered[0]) if entered else None,
        })  # fmt: skip
    trace = _trace(ctx, pool, inst, outcome, report, what_ifs)
    trace["counterfactuals"] = counterfactuals
    published = inputs.comuni
    areas = []
    for rank, i in enumerate(outcome.selected, start=1):
        entry = trace["candidates"][i]
        codes = list(entry["comuni"])
        runner = what_ifs[rank - 1]["runner_up"]
        areas.append(
            ProposedArea(
                rank=rank,
                index=i,
                candidate=entry,
                reasons=analyst_reasons(trace, i),
                public_reasons=public_reasons(
                    entry, trace, Published(published, inputs.pattern, codes), params.dominance
                ),
                runner_up=runner,
            )
        )
    return Proposal(params, outcome.solver, report, trace, areas)


def _counterfactuals(inst: Instance, report: dict, chosen: set[str], solver: str) -> list[dict]:
    """For each constraint met exactly, select without it: the areas it alone brings in.

    An area is "chosen for" a quota or a ripartizione only if the selection without that
    constraint leaves it out: a reason never claims a constraint the area did not need.
    """
    out = []
    for item in report["items"]:
        if item["kind"] not in ("quota", "ripartizione") or item["achieved"] != item["required"]:
            continue
        rest = [r for r in inst.requirements if r.id != item["id"]]
        without = inst.variant(requirements=rest)
        selected = {inst.candidates[i].key for i in choose(without, solver).selected}
        needed = sorted((chosen - selected) & set(item["areas"]))
        out.append({"constraint": item["id"], "selected_without": sorted(selected),
                    "needed": needed})  # fmt: skip
    return out


def _snapshot(c: Candidate) -> dict:
    return {
        "key": c.key, "comuni": list(c.comuni), "name": c.name, "score": c.score,
        "ripartizioni": c.ripartizioni, "typology": {"housing": c.typology["housing"],
                                                      "work": c.typology["work"]},
        "sources": sorted({s["kind"] for s in c.sources}),
        "why": "a re-run without this area's comuni selects it instead",
    }  # fmt: skip


def _why(inst: Instance, outcome: Outcome, i: int) -> tuple[str, str]:
    """Say why a candidate was or was not selected, by what blocked it."""
    rank = {j: r for r, j in enumerate(outcome.selected, start=1)}
    c = inst.candidates[i]
    if i in rank:
        return "selected", f"selected, rank {rank[i]}"
    blockers = [
        f"shares a comune with the area ranked {rank[j]} ({inst.candidates[j].name})"
        for j in outcome.selected
        if inst.hard[i, j]
    ]
    blockers += [
        f"{inst.distance[i, j]:.1f} km from the area ranked {rank[j]} "
        f"({inst.candidates[j].name}), closer than {inst.min_distance_km:g} km"
        for j in outcome.selected
        if inst.close[i, j]
    ]
    if blockers:
        return "not_selected", "; ".join(blockers)
    if not outcome.selected:
        return "not_selected", "nothing was selected"
    lowest = min(inst.candidates[j].score for j in outcome.selected)
    if c.score <= lowest:
        return (
            "not_selected",
            f"scores {c.score:.3f}, below every selected area (lowest {lowest:.3f})",
        )
    return "not_selected", (
        f"scores {c.score:.3f}, more than some selected areas; taking it would break a quota "
        "or ripartizione constraint that those areas meet"
    )


def _ripartizione_ranks(pool: Pool) -> list[dict]:
    """Rank each candidate's indicators among the candidates of each of its ripartizioni."""
    values = np.array([[c.indicators[n] for n in NAMES] for c in pool.candidates]).reshape(
        len(pool.candidates), len(NAMES)
    )
    out = []
    for c, row in zip(pool.candidates, values, strict=True):
        ranks: dict[str, dict[str, int]] = {n: {} for n in NAMES}
        for rip in c.ripartizioni:
            peers = np.array([rip in d.ripartizioni for d in pool.candidates])
            for j, name in enumerate(NAMES):
                ranks[name][rip] = int((values[peers, j] > row[j]).sum()) + 1
        out.append(ranks)
    return out


def _trace(
    ctx: Context, pool: Pool, inst: Instance, outcome: Outcome, report: dict,
    what_ifs: list[dict],
) -> dict:  # fmt: skip
    inputs, params = ctx.inputs, ctx.params
    cands = pool.candidates
    order = sorted(range(len(cands)), key=lambda i: (-cands[i].score, cands[i].key))
    score_rank = {i: r for r, i in enumerate(order, start=1)}
    ranks = _ripartizione_ranks(pool)
    candidates = []
    for i, c in enumerate(pool.candidates):
        status, why = _why(inst, outcome, i)
        candidates.append({
            "index": i, "key": c.key, "comuni": list(c.comuni), "name": c.name,
            "sources": c.sources, "merged_from": c.merged_from, "within": c.within,
            "indicators": c.indicators, "normalised": c.normalised,
            "contributions": c.contributions, "score": c.score, "score_rank": score_rank[i],
            "ripartizione_ranks": ranks[i], "typology": c.typology,
            "ripartizioni": c.ripartizioni, "provinces": c.provinces,
            "centroid_km": list(c.centroid), "surroundings": c.surroundings,
            "status": status, "why": why,
        })  # fmt: skip
    return {
        "parameters": params.model_dump(),
        "inputs": {
            "fingerprint": inputs.fingerprint,
            "responses": len(inputs.revision_ids),
            "hotspots": {
                "indicator": params.hotspot_indicator, "confidence": params.hotspot_confidence,
                "permutations": params.permutations, "seed": params.seed,
                "nonresponse": params.hotspot_nonresponse,
                "respondents": inputs.hotspot_summary.get("respondents"),
                "islands": inputs.hotspot_summary.get("islands"),
                "island_comuni": inputs.hotspot_summary.get("island_comuni"),
                "stored": inputs.hotspots_stored, "hot_comuni": sorted(inputs.hot),
            },
            "clusters": [
                {"cluster": k["cluster"], "settlements": k["settlements"],
                 "persons_mid": k["persons_mid"], "comuni": [c["code"] for c in k["comuni"]]}
                for k in inputs.clusters
            ],
            "suppression_threshold": inputs.pattern.threshold,
            "presence_model": {"fit_id": inputs.surroundings.fit_id, "estimate": "model",
                               "surroundings_km": RADIUS_KM},
        },  # fmt: skip
        "normalisation": {"weights": params.weights.model_dump(),
                          "indicators": ctx.scale.describe()},
        "summary": {"candidates": len(pool.candidates), "areas": len(outcome.selected),
                    "solver": outcome.solver, "constraints_met": report["all_met"]},
        "candidates": candidates,
        "merges": pool.merges,
        "poorly_covered": pool.poorly_covered,
        "splits": pool.splits,
        "overlaps": pool.overlaps,
        "selection": {"solver": outcome.solver, "note": outcome.note,
                      "trials": [t.summary(inst) for t in outcome.trials]},
        "constraints": report,
        "areas": [{"rank": r, "candidate": i, "key": pool.candidates[i].key}
                  for r, i in enumerate(outcome.selected, start=1)],
        "what_if": what_ifs,
    }  # fmt: skip
