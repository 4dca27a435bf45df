"""Survey waves: open one, find one, list them."""

from __future__ import annotations

from datetime import datetime

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.census.models import Survey
from app.census.problems import problems_of
from app.census.text import nul_problems
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

    @field_validator("closes_at")
    @classmethod
    def _after_opening(cls, value: datetime, info: ValidationInfo) -> datetime:
        # A field validator, not a model one: it runs even when another field is wrong.
        opens_at = info.data.get("opens_at")
        if opens_at is not None and value <= opens_at:
            raise ValueError("closes_at must be after opens_at")
        return value


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


def _vintage_problems(session: Session, vintage: object) -> list[Problem]:
    if not isinstance(vintage, int) or isinstance(vintage, bool):
        return []  # the model names what is wrong with it
    if session.get(ComuniVintage, vintage) is None:
        return [Problem("vintage", f"no comuni are loaded for vintage {vintage}")]
    return []


def read_survey(session: Session, data: object) -> SurveyIn:
    """Validate a new wave as sent; report every problem at once, the vintage's included."""
    if not isinstance(data, dict):
        raise ValidationFailed([Problem("$", "must be a JSON object")], "1 problem in the request")
    problems = nul_problems(data) + _vintage_problems(session, data.get("vintage"))
    survey = None
    try:
        survey = SurveyIn.model_validate(data)
    except ValidationError as exc:
        problems = problems_of(exc) + problems
    if problems or survey is None:
        n = len(problems)
        raise ValidationFailed(problems, f"{n} problem{'s' if n != 1 else ''} in the request")
    return survey


def create_survey(session: Session, data: SurveyIn) -> Survey:
    """Open a new survey wave on a loaded vintage."""
    if problems := _vintage_problems(session, data.vintage):
        raise ValidationFailed(problems)
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
