"""Runs are records: select and store, list, show, publish, and the public view of a wave."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import column, func, null, select, table, update
from sqlalchemy.orm import Session

from app.census.models import Survey
from app.census.tokens import Principal
from app.errors import NotFound
from app.geo.case_areas.models import CaseAreaRun

if TYPE_CHECKING:
    from app.geo.case_areas.area_models import CaseArea
    from app.geo.case_areas.params import Parameters


# A run's summary names its areas. Reading them through the areas' class would import GeoAlchemy2
# (its geometry column) into every listing of runs, so the summary reads the three columns it
# needs as a lightweight table; app.geo.case_areas.area_models declares the table itself.
AREA_NAMES = table("case_areas", column("run_id"), column("rank"), column("name"))


def run_selection(
    session: Session, survey: Survey, params: Parameters, principal: Principal
) -> CaseAreaRun:
    """Select the case areas of a wave's current data and store the run."""
    # The analysis (pandas, scipy, the solvers) loads with the first selection, not with every
    # import of this module: listing, showing and publishing runs do without it (issue 15).
    from app.geo.case_areas.area_models import CaseArea
    from app.geo.case_areas.inputs import read_inputs
    from app.geo.case_areas.proposal import propose
    from app.geo.reference.boundary_models import Comune

    inputs = read_inputs(session, survey, params)
    proposal = propose(inputs, params)
    run = CaseAreaRun(
        survey_id=survey.id,
        parameters=params.model_dump(),
        fingerprint=inputs.fingerprint,
        revision_ids=inputs.revision_ids,
        created_by=principal.display,
        token_id=principal.token_id,
        solver=proposal.solver,
        constraints_met=proposal.constraints["all_met"],
        constraints=proposal.constraints,
        trace=proposal.trace,
    )
    session.add(run)
    session.flush()
    for area in proposal.areas:
        c = area.candidate
        session.add(
            CaseArea(
                run_id=run.id,
                rank=area.rank,
                candidate=c["key"],
                comuni=c["comuni"],
                name=c["name"],
                ripartizioni=c["ripartizioni"],
                score=c["score"],
                typology=c["typology"],
                indicators=c["indicators"],
                reasons=area.reasons,
                public_reasons=area.public_reasons,
                runner_up=area.runner_up,
            )
        )
    session.flush()
    # The union of the member comuni, written by PostGIS in one statement.
    union = (
        select(func.ST_Multi(func.ST_Union(Comune.geom)))
        .where(Comune.vintage == survey.vintage, Comune.code == func.any(CaseArea.comuni))
        .scalar_subquery()
    )
    session.execute(update(CaseArea).where(CaseArea.run_id == run.id).values(geom=union))
    session.refresh(run)
    return run


def get_run(session: Session, survey: Survey, run_id: int) -> CaseAreaRun:
    """Return a run of this wave, or raise NotFound."""
    run = session.get(CaseAreaRun, run_id)
    if run is None or run.survey_id != survey.id:
        raise NotFound(f"case-area run {run_id} does not exist in survey {survey.code}")
    return run


def list_runs(session: Session, survey: Survey, limit: int, offset: int) -> tuple[list[dict], int]:
    """Return one page of a wave's runs, newest first, as summaries, and how many there are."""
    where = CaseAreaRun.survey_id == survey.id
    total = session.scalar(select(func.count()).select_from(CaseAreaRun).where(where)) or 0
    runs = session.scalars(
        select(CaseAreaRun).where(where).order_by(CaseAreaRun.id.desc()).limit(limit).offset(offset)
    )
    return [summary(session, survey, run) for run in runs], total


def summary(session: Session, survey: Survey, run: CaseAreaRun) -> dict:
    """Describe a run without its areas' details."""
    names = session.scalars(
        select(AREA_NAMES.c.name).where(AREA_NAMES.c.run_id == run.id).order_by(AREA_NAMES.c.rank)
    )
    return {
        "id": run.id,
        "survey": survey.code,
        "created_at": run.created_at,
        "created_by": run.created_by,
        "token_id": run.token_id,
        "fingerprint": run.fingerprint,
        "responses": len(run.revision_ids),
        "solver": run.solver,
        "constraints_met": run.constraints_met,
        "failed_constraints": run.constraints["failed"],
        "published": run.published_at is not None,
        "published_at": run.published_at,
        "areas": list(names),
    }


def _areas(
    session: Session, run: CaseAreaRun, geometry: bool
) -> list[tuple[CaseArea, dict | None]]:
    from app.geo.case_areas.area_models import CaseArea  # GeoAlchemy2: see AREA_NAMES

    geojson = func.ST_AsGeoJSON(CaseArea.geom, 6) if geometry else null()
    rows = session.execute(
        select(CaseArea, geojson.label("geojson"))
        .where(CaseArea.run_id == run.id)
        .order_by(CaseArea.rank)
    )
    return [(area, json.loads(g) if g else None) for area, g in rows]


def run_document(session: Session, survey: Survey, run: CaseAreaRun, geometry: bool) -> dict:
    """Return the analysts' view of a run: everything but the trace and the revision ids."""
    out = summary(session, survey, run)
    out.update(
        parameters=run.parameters,
        solver_note=run.trace["selection"]["note"],
        constraints=run.constraints,
        published_by=run.published_by,
        areas=[],
    )
    # What the surroundings answered, and the model's estimate there, live in the trace.
    around = {c["key"]: c.get("surroundings") for c in run.trace["candidates"]}
    for area, geojson in _areas(session, run, geometry):
        item = {
            "rank": area.rank,
            "comuni": area.comuni,
            "name": area.name,
            "ripartizioni": area.ripartizioni,
            "score": area.score,
            "typology": area.typology,
            "indicators": area.indicators,
            "surroundings": around.get(area.candidate),
            "reasons": [r["text"] for r in area.reasons],
            "citations": [r["cites"] for r in area.reasons],
            "public_reasons": [r["text"] for r in area.public_reasons],
            "runner_up": area.runner_up,
            "candidate": area.candidate,
        }
        if geometry:
            item["geometry"] = geojson
        out["areas"].append(item)
    return out


def trace_document(run: CaseAreaRun) -> dict:
    """Return a run's full trace, with the revisions it read."""
    return {"id": run.id, "fingerprint": run.fingerprint, "revision_ids": run.revision_ids,
            **run.trace}  # fmt: skip


def publish(session: Session, survey: Survey, run_id: int, principal: Principal) -> CaseAreaRun:
    """Make this run the wave's published one; the run published before is withdrawn."""
    # Two analysts publishing at once take turns on the wave's row; the partial unique index
    # would refuse the second anyway, but as an error instead of a clean replacement.
    session.execute(select(Survey.id).where(Survey.id == survey.id).with_for_update())
    run = get_run(session, survey, run_id)
    session.execute(
        update(CaseAreaRun)
        .where(CaseAreaRun.survey_id == survey.id, CaseAreaRun.published_at.is_not(None))
        .values(published_at=None, published_by=None)
    )
    session.execute(
        update(CaseAreaRun)
        .where(CaseAreaRun.id == run.id)
        .values(published_at=datetime.now(UTC), published_by=principal.display)
    )
    session.refresh(run)
    return run


def published_run(session: Session, survey: Survey) -> CaseAreaRun | None:
    return session.scalar(
        select(CaseAreaRun).where(
            CaseAreaRun.survey_id == survey.id, CaseAreaRun.published_at.is_not(None)
        )
    )


def public_view(session: Session, survey: Survey) -> dict:
    """Return what the public sees: the published run's polygons, ranks, names, public reasons."""
    run = published_run(session, survey)
    if run is None:
        raise NotFound(f"survey {survey.code} has no published case areas yet")
    return {
        "survey": survey.code,
        "published_at": run.published_at,
        "areas": [
            {
                "rank": area.rank,
                "name": area.name,
                "reasons": [r["text"] for r in area.public_reasons],
                "geometry": geojson,
            }
            for area, geojson in _areas(session, run, geometry=True)
        ],
    }
