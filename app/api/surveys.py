"""REST: survey waves."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.api.auth import AdminDep
from app.api.deps import Page, PagingDep, SessionDep
from app.census import surveys
from app.census.surveys import SurveyIn, SurveyOut
from app.errors import Problem, ValidationFailed

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


# The body is read raw and validated by the domain, which also checks the vintage against the
# database: one 422 then names every problem, not the model's first and the vintage later.
SURVEY_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": SurveyIn.model_json_schema()}},
    }
}


async def json_body(request: Request) -> object:
    """Return the parsed JSON body, or answer 422 at its root."""
    try:
        return await request.json()
    except ValueError as exc:
        raise ValidationFailed([Problem("$", "is not valid JSON")], "the body is not JSON") from exc


@router.post(
    "",
    response_model=SurveyOut,
    status_code=201,
    summary="Open a survey wave (admin)",
    openapi_extra=SURVEY_BODY,
)
def create_survey(session: SessionDep, _: AdminDep, data: Annotated[object, Depends(json_body)]):
    return SurveyOut.of(surveys.create_survey(session, surveys.read_survey(session, data)))
