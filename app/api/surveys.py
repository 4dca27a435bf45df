"""REST: survey waves."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.auth import AdminDep
from app.api.deps import Page, PagingDep, SessionDep
from app.census import surveys
from app.census.surveys import SurveyIn, SurveyOut

router = APIRouter(prefix="/api/v1/surveys", tags=["surveys"])


@router.get("", response_model=Page[SurveyOut], summary="List survey waves")
def list_surveys(session: SessionDep, page: PagingDep):
    items, total = surveys.list_surveys(session, page.limit, page.offset)
    return Page(
        items=[SurveyOut.of(s) for s in items], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/{code}", response_model=SurveyOut, summary="One survey wave")
def get_survey(session: SessionDep, code: str):
    return SurveyOut.of(surveys.get_survey(session, code))


@router.post("", response_model=SurveyOut, status_code=201, summary="Open a survey wave (admin)")
def create_survey(session: SessionDep, _: AdminDep, data: SurveyIn):
    return SurveyOut.of(surveys.create_survey(session, data))
