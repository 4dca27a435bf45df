"""REST: which Gi* run the wave's hotspots map layer shows, pinned by an analyst (analysts)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app.api.auth import AnalystDep
from app.api.deps import SessionDep, SurveyDep
from app.census.models import Survey
from app.geo.analysis import hotspot_pins
from app.geo.analysis.hotspots import DEFAULTS, MAX_PERMUTATIONS, MAX_SEED, GiParameters

router = APIRouter(prefix="/api/v1/surveys/{survey_code}/hotspots/pin", tags=["indicators"])


class PinIn(BaseModel):
    """Gi* parameters for the layer; each defaults to the wave's default."""

    model_config = ConfigDict(extra="forbid")

    indicator: str = Field(DEFAULTS.indicator, description="A comune-level indicator field.")
    permutations: int = Field(DEFAULTS.permutations, ge=0, le=MAX_PERMUTATIONS)
    seed: int = Field(DEFAULTS.seed, ge=0, le=MAX_SEED)
    nonresponse: Literal["missing", "zero"] = Field(
        DEFAULTS.nonresponse,
        description="missing: silent comuni are left out of the statistic; zero: they count 0.",
    )


class LayerRun(BaseModel):
    """The parameters of the Gi* run the hotspots layer shows, on the current data."""

    indicator: str
    permutations: int
    seed: int
    nonresponse: str = Field(description="How silent comuni are treated: missing or zero.")
    pinned: bool = Field(description="Pinned by an analyst; false: the wave's defaults.")
    pinned_by: str | None = Field(description="Who pinned them: role and token label.")
    pinned_at: datetime | None


def _layer_run(session: Session, survey: Survey) -> LayerRun:
    pin = hotspot_pins.layer_pin(session, survey)
    if pin is None:
        return LayerRun(**vars(DEFAULTS), pinned=False, pinned_by=None, pinned_at=None)
    return LayerRun(indicator=pin.indicator, permutations=pin.permutations, seed=pin.seed,
                    nonresponse=pin.nonresponse, pinned=True, pinned_by=pin.pinned_by,
                    pinned_at=pin.pinned_at)  # fmt: skip


@router.get("", response_model=LayerRun, summary="The Gi* parameters the layer shows (analysts)")
def get_pin(session: SessionDep, _: AnalystDep, survey: SurveyDep):
    return _layer_run(session, survey)


@router.post("", response_model=LayerRun, summary="Pin the layer's Gi* parameters (analysts)")
def pin(
    session: SessionDep,
    caller: AnalystDep,
    survey: SurveyDep,
    params: Annotated[PinIn | None, Body(description="Every field has a default.")] = None,
):
    chosen = params or PinIn()
    hotspot_pins.pin(session, survey, GiParameters(**chosen.model_dump()), caller)
    return _layer_run(session, survey)


@router.delete("", response_model=LayerRun, summary="Back to the default parameters (analysts)")
def unpin(session: SessionDep, _: AnalystDep, survey: SurveyDep):
    hotspot_pins.unpin(session, survey)
    return _layer_run(session, survey)
