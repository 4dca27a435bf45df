"""REST: a wave's progress (public), and the follow-up list of silent comuni (analysts)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from app.api.auth import AnalystDep
from app.api.deps import Page, SessionDep, SurveyDep
from app.geo.analysis.nonresponse.followup import FollowUpFilter, csv_rows, fit_summary, follow_up
from app.geo.analysis.nonresponse.presence import presence_fit
from app.geo.analysis.nonresponse.progress import progress

router = APIRouter(prefix="/api/v1/surveys/{survey_code}", tags=["non-response"])

Format = Annotated[Literal["json", "csv"], Query(description="Output format.")]
SeedQuery = Annotated[
    int, Query(ge=0, le=2**32 - 1, description="Seed of the cross-validation's folds.")
]


class DailyCount(BaseModel):
    date: str = Field(description="Calendar day in Italy (Europe/Rome), YYYY-MM-DD.")
    count: int = Field(description="Comuni whose first submission came that day.")
    cumulative: int = Field(description="Comuni that had answered by the end of that day.")


class ProgressRow(BaseModel):
    """One unit's response: comuni, residents and area that answered, and when."""

    level: str
    code: str = Field(description="ISTAT code of the unit (IT for Italy).")
    name: str
    invited: int = Field(description="Comuni of the wave's vintage in the unit.")
    responded: int = Field(description="Comuni that submitted a response.")
    response_rate: float = Field(description="responded / invited.")
    population_2011: int | None = Field(description="Residents at the 2011 census (persons).")
    responded_population: int | None = Field(description="Of those, in responding comuni.")
    coverage_population: float | None = Field(description="Share of residents covered, 0-1.")
    area_km2: float
    responded_area_km2: float
    coverage_area: float = Field(description="Share of the area covered, 0-1.")
    low_coverage: bool = Field(description="Less than half of the residents are covered.")
    first_submissions: list[DailyCount] = Field(
        description="Days with first submissions (a response's first revision), oldest first."
    )


@router.get(
    "/progress",
    response_model=Page[ProgressRow],
    summary="Response progress and coverage per unit, with first submissions by day (public)",
    responses={200: {"content": {"text/csv": {}}}},
)
def get_progress(
    session: SessionDep,
    survey: SurveyDep,
    level: Annotated[
        Literal["italy", "ripartizione", "region", "province"], Query(description="Units.")
    ] = "region",
    f: Format = "json",
):
    rows = progress(session, survey, level)
    if f == "csv":
        columns = [c for c in ProgressRow.model_fields if c != "first_submissions"]
        table = [
            [*(row[c] for c in columns),
             ";".join(f"{d['date']}:{d['count']}" for d in row["first_submissions"])]
            for row in rows
        ]  # fmt: skip
        header = [*columns, "first_submissions"]
        return _csv([header, *table], f"{survey.code}-progress-{level}.csv")
    return Page(items=rows, total=len(rows), limit=len(rows), offset=0)


class Driver(BaseModel):
    group: str = Field(description="The group of features the fact stands for.")
    text: str
    effect: float = Field(description="Its term in the estimate's log-odds, from the average.")


class FollowUpItem(BaseModel):
    """A comune that has not answered, with the model's estimate and the facts behind it."""

    rank: int = Field(description="Place in the national list (1 = most likely).")
    code: str
    name: str
    province_code: str
    province_acronym: str | None
    region_code: str
    region_name: str
    ripartizione: str
    population_2011: int | None
    p_workers_present: float = Field(
        description="Model estimate (not an answer): probability that foreign agri-food "
        "workers are present, from the other comuni's answers."
    )
    reasons: list[str] = Field(description="The facts that drive the estimate, in plain words.")
    drivers: list[Driver]
    token_ids: list[int] = Field(
        description="Ids of the active respondent tokens for this comune (never the secrets)."
    )


class FitSummary(BaseModel):
    estimate: str = Field(description="Always 'model': these are estimates, not answers.")
    fit_id: int
    method: str
    kind: str = Field(description="logistic_regression, or region_rate while answers are few.")
    fingerprint: str = Field(description="The data state the model was fitted on.")
    seed: int
    respondents: int
    reporting: int = Field(description="Respondents that report workers.")
    cv_auc: float | None = Field(description="AUC on respondents, whole provinces held out.")
    cv_blocks: str
    baseline_auc: float | None = Field(
        description="AUC on respondents of the share of responding comuni within 25 km that "
        "report workers: the neighbours-only baseline."
    )
    computed_at: datetime
    stored: bool = Field(description="Read back from the store rather than fitted now.")


class FollowUpOut(Page[FollowUpItem]):
    model: FitSummary


@router.get(
    "/follow-up",
    response_model=FollowUpOut,
    summary="Comuni that have not answered, most likely to have workers first (analysts)",
    responses={200: {"content": {"text/csv": {}}}},
)
def get_follow_up(
    session: SessionDep,
    _: AnalystDep,
    survey: SurveyDep,
    region: Annotated[str | None, Query(description="Region code or name.")] = None,
    province: Annotated[str | None, Query(description="Province code, acronym or name.")] = None,
    limit: Annotated[int | None, Query(ge=1, le=10000, description="Page size.")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    f: Format = "json",
    seed: SeedQuery = 0,
):
    if f == "json":
        limit = limit or 100
    page = follow_up(session, survey, FollowUpFilter(region, province), limit, offset, seed)
    if f == "csv":
        return _csv(csv_rows(page.items), f"{survey.code}-follow-up.csv")
    return {
        "items": page.items, "total": page.total, "limit": limit, "offset": offset,
        "model": fit_summary(page.fit, page.stored),
    }  # fmt: skip


class ModelOut(BaseModel):
    summary: FitSummary
    model: dict[str, Any] = Field(description="Features, standardisation and coefficients.")
    cv: dict[str, Any] = Field(description="The cross-validation, fold by fold.")


@router.get(
    "/presence-model",
    response_model=ModelOut,
    summary="The presence model of the current data: coefficients and validation (analysts)",
)
def get_presence_model(session: SessionDep, _: AnalystDep, survey: SurveyDep, seed: SeedQuery = 0):
    fit, stored = presence_fit(session, survey, seed)
    return {"summary": fit_summary(fit, stored), "model": fit.model, "cv": fit.cv}


def _csv(rows: Iterable[list], filename: str) -> StreamingResponse:
    """Stream rows (the header first) as a CSV attachment."""

    def lines() -> Iterator[str]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        for row in rows:
            writer.writerow(row)
            if buf.tell() > 64_000:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
