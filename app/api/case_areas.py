"""REST: case-area runs (analysts) and the published case areas (everyone)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field

from app.api.auth import AnalystDep
from app.api.deps import MAX_INT, IdPath, Page, PagingDep, SessionDep, SurveyDep
from app.geo.case_areas import compare as comparison
from app.geo.case_areas import runs
from app.geo.case_areas.params import Parameters

router = APIRouter(prefix="/api/v1/surveys/{survey_code}/case-areas", tags=["case areas"])


class RunSummary(BaseModel):
    id: int
    survey: str
    created_at: datetime
    created_by: str = Field(description="Who ran it: role and token label.")
    token_id: int | None
    fingerprint: str = Field(description="md5 of comune:etag of every response it read.")
    responses: int = Field(description="How many responses (current revisions) it read.")
    solver: str = Field(description="greedy, highs or cbc: whose selection was kept.")
    constraints_met: bool
    failed_constraints: list[str]
    published: bool
    published_at: datetime | None
    areas: list[str] = Field(description="Area names, by rank.")


class RunnerUp(BaseModel):
    key: str
    comuni: list[str]
    name: str
    score: float
    ripartizioni: list[str]
    typology: dict[str, str | None]
    sources: list[str]
    why: str


class Area(BaseModel):
    rank: int
    comuni: list[str] = Field(description="ISTAT codes of the member comuni.")
    name: str
    ripartizioni: list[str]
    score: float = Field(description="Weighted mean of the normalised indicators, 0-1.")
    typology: dict[str, Any]
    indicators: dict[str, float]
    surroundings: dict[str, Any] | None = Field(
        description="The comuni within 25 km of the area's (its own left out): how many "
        "answered (coverage), how many report workers, and the presence model's expected "
        "number of silent ones with workers, with a 90% interval (a model estimate). Null "
        "for runs stored before it was recorded."
    )
    reasons: list[str]
    citations: list[list[dict[str, Any]]] = Field(
        description="For each reason, the trace values and constraints it cites."
    )
    public_reasons: list[str] = Field(description="What the public view says of this area.")
    runner_up: RunnerUp | None = Field(
        description="What a re-run without this area's comuni selects instead."
    )
    candidate: str = Field(description="The area's key in the trace.")
    geometry: dict | None = Field(None, description="GeoJSON MultiPolygon, with geometry=true.")


class Run(RunSummary):
    parameters: dict[str, Any]
    solver_note: str
    constraints: dict[str, Any]
    published_by: str | None
    areas: list[Area]  # type: ignore[assignment]


class PublicArea(BaseModel):
    rank: int
    name: str
    reasons: list[str] = Field(description="Built only from published (suppressed) figures.")
    geometry: dict = Field(description="GeoJSON MultiPolygon (EPSG:4326).")


class PublicCaseAreas(BaseModel):
    survey: str
    published_at: datetime
    areas: list[PublicArea]


GeometryQuery = Annotated[bool, Query(description="Include each area's GeoJSON geometry.")]


@router.post(
    "",
    response_model=Run,
    status_code=201,
    summary="Select case areas and store the run (analysts)",
)
def create_run(
    session: SessionDep,
    caller: AnalystDep,
    survey: SurveyDep,
    params: Annotated[Parameters | None, Body(description="Every field has a default.")] = None,
):
    run = runs.run_selection(session, survey, params or Parameters(), caller)
    return runs.run_document(session, survey, run, geometry=False)


@router.get("", response_model=Page[RunSummary], summary="List the runs, newest first (analysts)")
def list_runs(session: SessionDep, _: AnalystDep, survey: SurveyDep, page: PagingDep):
    items, total = runs.list_runs(session, survey, page.limit, page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/published",
    response_model=PublicCaseAreas,
    summary="The published case areas: polygons, ranks, names and public reasons (everyone)",
)
def published(session: SessionDep, survey: SurveyDep):
    return runs.public_view(session, survey)


@router.get("/compare", summary="What changed between two runs, and why (analysts)")
def compare(
    session: SessionDep,
    _: AnalystDep,
    survey: SurveyDep,
    a: Annotated[int, Query(ge=1, le=MAX_INT, description="The earlier run.")],
    b: Annotated[int, Query(ge=1, le=MAX_INT, description="The later run.")],
) -> dict[str, Any]:
    return comparison.compare(session, survey, a, b)


@router.get("/{run_id}", response_model=Run, summary="One run with its areas (analysts)")
def get_run(
    session: SessionDep,
    _: AnalystDep,
    survey: SurveyDep,
    run_id: IdPath,
    geometry: GeometryQuery = False,
):
    return runs.run_document(session, survey, runs.get_run(session, survey, run_id), geometry)


@router.get("/{run_id}/trace", summary="A run's full trace and the revisions it read (analysts)")
def get_trace(
    session: SessionDep, _: AnalystDep, survey: SurveyDep, run_id: IdPath
) -> dict[str, Any]:
    return runs.trace_document(runs.get_run(session, survey, run_id))


@router.post(
    "/{run_id}/publish",
    response_model=RunSummary,
    summary="Publish a run: the wave's one public set of case areas (analysts)",
)
def publish(session: SessionDep, caller: AnalystDep, survey: SurveyDep, run_id: IdPath):
    return runs.summary(session, survey, runs.publish(session, survey, run_id, caller))
