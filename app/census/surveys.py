"""Survey waves: open one, find one, list them."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.census.models import Survey
from app.errors import Conflict, NotFound, Problem, ValidationFailed
from app.geo.reference.models import ComuniVintage

CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class SurveyIn(BaseModel):
    """A new survey wave, as an admin describes it."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_PATTERN, description="Short identifier, e.g. incas-2021.")
    title: str = Field(min_length=1, max_length=500)
    vintage: int = Field(description="Year of the comuni boundaries the wave uses.")
    opens_at: AwareDatetime
    closes_at: AwareDatetime

    @model_validator(mode="after")
    def _window(self) -> SurveyIn:
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be after opens_at")
        return self


class SurveyOut(BaseModel):
    """A survey wave as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    title: str
    vintage: int
    opens_at: datetime
    closes_at: datetime
    created_at: datetime
    reference_year: int = Field(description="Year of opens_at; indicators count years to it.")
    is_open: bool = Field(description="Whether respondents may write now.")

    @classmethod
    def of(cls, survey: Survey, now: datetime | None = None) -> SurveyOut:
        return cls(
            code=survey.code,
            title=survey.title,
            vintage=survey.vintage,
            opens_at=survey.opens_at,
            closes_at=survey.closes_at,
            created_at=survey.created_at,
            reference_year=survey.opens_at.year,
            is_open=is_open(survey, now),
        )


def is_open(survey: Survey, now: datetime | None = None) -> bool:
    """Say whether the wave's window is open at `now`."""
    now = now or datetime.now(survey.opens_at.tzinfo)
    return survey.opens_at <= now <= survey.closes_at


def create_survey(session: Session, data: SurveyIn) -> Survey:
    """Open a new survey wave on a loaded vintage."""
    if session.get(ComuniVintage, data.vintage) is None:
        raise ValidationFailed(
            [Problem("vintage", f"no comuni are loaded for vintage {data.vintage}")]
        )
    survey = Survey(**data.model_dump())
    try:
        with session.begin_nested():
            session.add(survey)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("survey_exists", f"survey {data.code} already exists") from exc
    session.refresh(survey)
    return survey


def get_survey(session: Session, code: str) -> Survey:
    """Return the survey with this code, or raise NotFound."""
    survey = session.scalar(select(Survey).where(Survey.code == code))
    if survey is None:
        raise NotFound(f"survey {code} does not exist", code=code)
    return survey


def list_surveys(session: Session, limit: int, offset: int) -> tuple[list[Survey], int]:
    """Return one page of surveys, newest first, and how many there are."""
    total = session.scalar(select(func.count()).select_from(Survey)) or 0
    items = session.scalars(
        select(Survey).order_by(Survey.opens_at.desc(), Survey.code).limit(limit).offset(offset)
    ).all()
    return list(items), total
