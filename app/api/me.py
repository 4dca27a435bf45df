"""REST: who the caller is, as far as its own token says (the web questionnaire asks first)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.api.auth import CallerDep
from app.api.deps import SessionDep
from app.census import tokens
from app.census.surveys import get_survey

router = APIRouter(prefix="/api/v1/me", tags=["me"])


class ComuneRefOut(BaseModel):
    code: str = Field(description="6-digit ISTAT code.")
    name: str | None = Field(description="Its name in the vintage; null if absent from it.")
    province_acronym: str | None


class MeOut(BaseModel):
    """The caller's own token: never another token's facts, never a secret."""

    role: str = Field(description="admin, analyst or respondent.")
    label: str
    survey: str | None = Field(description="The wave the token is bound to, if any.")
    vintage: int | None = Field(description="The boundary year the comuni are named in.")
    comuni: list[ComuneRefOut] = Field(description="The comuni a respondent writes for.")


@router.get("", response_model=MeOut, summary="Describe the caller's own token")
def me(
    session: SessionDep,
    caller: CallerDep,
    survey: Annotated[
        str | None, Query(description="Name the comuni in this wave's vintage.")
    ] = None,
):
    wave = get_survey(session, survey) if survey else None
    return tokens.describe(session, caller, wave)
