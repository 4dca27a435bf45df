"""What changed between two runs of a wave, and why: parameters, data, solver and areas."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.census.models import Survey
from app.geo.case_areas.area_models import CaseArea
from app.geo.case_areas.models import CaseAreaRun
from app.geo.case_areas.runs import get_run, summary
from app.wording import counted


def _flat(doc: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in doc.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, path + "."))
        else:
            out[path] = value
    return out


def _areas(session: Session, run: CaseAreaRun) -> dict[str, CaseArea]:
    rows = session.scalars(select(CaseArea).where(CaseArea.run_id == run.id))
    return {area.candidate: area for area in rows}


def _candidates(run: CaseAreaRun) -> dict[str, dict]:
    return {c["key"]: c for c in run.trace["candidates"]}


def _absent_why(run: CaseAreaRun, area: CaseArea, label: str) -> str:
    """Say why an area of one run is not a candidate at all in the other."""
    excluded = sorted(set(area.comuni) & set(run.parameters["exclude_comuni"]))
    if excluded:
        return f"not a candidate in run {label}: its comuni {', '.join(excluded)} are excluded"
    dropped = next((d for d in run.trace.get("poorly_covered", ()) if d["key"] == area.candidate),
                   None)  # fmt: skip
    if dropped:
        return f"not a candidate in run {label}: {dropped['why']}"
    return (
        f"not a candidate in run {label}: no cluster, hot spot or single-comune rule made "
        "these comuni a candidate there"
    )


def compare(session: Session, survey: Survey, a_id: int, b_id: int) -> dict:
    """Compare run a (before) with run b (after)."""
    a, b = get_run(session, survey, a_id), get_run(session, survey, b_id)
    pa, pb = _flat(a.parameters), _flat(b.parameters)
    parameters = [
        {"path": path, "a": pa.get(path), "b": pb.get(path)}
        for path in sorted(pa.keys() | pb.keys())
        if pa.get(path) != pb.get(path)
    ]
    ra, rb = set(a.revision_ids), set(b.revision_ids)
    data = {
        "a": a.fingerprint, "b": b.fingerprint, "changed": a.fingerprint != b.fingerprint,
        "revisions_only_in_a": len(ra - rb), "revisions_only_in_b": len(rb - ra),
    }  # fmt: skip
    areas_a, areas_b = _areas(session, a), _areas(session, b)
    cand_a, cand_b = _candidates(a), _candidates(b)
    kept, added, removed = [], [], []
    for key in sorted(areas_a.keys() & areas_b.keys(), key=lambda k: areas_b[k].rank):
        x, y = areas_a[key], areas_b[key]
        changes = []
        if x.rank != y.rank:
            changes.append(f"rank {x.rank} → {y.rank}")
        if x.score != y.score:
            changes.append(f"score {x.score:.3f} → {y.score:.3f}")
        kept.append({"name": y.name, "comuni": y.comuni, "rank_a": x.rank, "rank_b": y.rank,
                     "score_a": x.score, "score_b": y.score, "moved": x.rank != y.rank,
                     "why": "; ".join(changes) or "unchanged"})  # fmt: skip
    for key in sorted(areas_a.keys() - areas_b.keys(), key=lambda k: areas_a[k].rank):
        x = areas_a[key]
        other = cand_b.get(key)
        why = f"in run b: {other['why']}" if other else _absent_why(b, x, "b")
        if other and other["score"] != x.score:
            why += f" (score {x.score:.3f} → {other['score']:.3f})"
        overlapping = [y.name for y in areas_b.values() if set(y.comuni) & set(x.comuni)]
        removed.append({"name": x.name, "comuni": x.comuni, "rank_a": x.rank, "score_a": x.score,
                        "reshaped_into": overlapping, "why": why})  # fmt: skip
    for key in sorted(areas_b.keys() - areas_a.keys(), key=lambda k: areas_b[k].rank):
        y = areas_b[key]
        other = cand_a.get(key)
        why = f"in run a: {other['why']}" if other else _absent_why(a, y, "a")
        added.append({"name": y.name, "comuni": y.comuni, "rank_b": y.rank, "score_b": y.score,
                      "why": why, "reasons_b": [r["text"] for r in y.reasons[:3]]})  # fmt: skip
    lines = []
    if parameters:
        lines.append("parameters changed: " + ", ".join(
            f"{p['path']} {p['a']!r} → {p['b']!r}" for p in parameters))  # fmt: skip
    if data["changed"]:
        new, replaced = len(rb - ra), len(ra - rb)
        lines.append(
            f"the data changed: {counted(new, 'revision')} read by b "
            f"{'was' if new == 1 else 'were'} not read by a, {replaced} read by a "
            f"{'was' if replaced == 1 else 'were'} replaced"
        )
    if a.solver != b.solver:
        lines.append(f"solver {a.solver} → {b.solver}")
    lines += [f"{x['name']} left (rank {x['rank_a']}): {x['why']}" for x in removed]
    lines += [f"{y['name']} entered (rank {y['rank_b']}): {y['why']}" for y in added]
    lines += [f"{k['name']}: {k['why']}" for k in kept if k["moved"]]
    if not lines:
        lines.append("the two runs selected the same areas in the same order")
    return {
        "a": summary(session, survey, a), "b": summary(session, survey, b),
        "parameters": parameters, "data": data, "solver": {"a": a.solver, "b": b.solver},
        "constraints": {"a": a.constraints["failed"], "b": b.constraints["failed"]},
        "areas": {"kept": kept, "added": added, "removed": removed},
        "summary": lines,
    }  # fmt: skip
