"""Which Gi* run the wave's hotspots map layer shows: the defaults, or parameters an analyst pinned.

Anyone with analyst rights may compute Gi* with any parameters (`hotspots.hotspots`); that is
exploration, and it never changes the layer. The layer shows Gi* on the current state of the
data with the parameters pinned for the wave, or with `hotspots.DEFAULTS` when none are pinned.
It is computed and stored on first read of that state, and every feature names its parameters.
"""

from __future__ import annotations

from sqlalchemy import ScalarSelect, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.census.models import Survey
from app.census.tokens import Principal
from app.geo.analysis.hotspots import DEFAULTS, GiParameters, check_parameters, hotspot_run
from app.geo.analysis.indicators import fingerprint_select
from app.geo.analysis.models import HotspotPin, HotspotRun


def layer_pin(session: Session, survey: Survey) -> HotspotPin | None:
    """Return the wave's pinned parameters, or None when the layer shows the defaults."""
    return session.get(HotspotPin, survey.id)


def layer_parameters(session: Session, survey: Survey) -> GiParameters:
    """Return the parameters of the run the layer shows."""
    pin = layer_pin(session, survey)
    if pin is None:
        return DEFAULTS
    return GiParameters(pin.indicator, pin.permutations, pin.seed, pin.nonresponse)  # type: ignore[arg-type]


def pin(session: Session, survey: Survey, params: GiParameters, principal: Principal) -> HotspotPin:
    """Make these parameters the layer's, replacing any pinned before."""
    check_parameters(params)
    values = {"indicator": params.indicator, "permutations": params.permutations,
              "seed": params.seed, "nonresponse": params.nonresponse,
              "pinned_by": principal.display,
              "token_id": principal.token_id}  # fmt: skip
    session.execute(
        insert(HotspotPin)
        .values(survey_id=survey.id, **values)
        .on_conflict_do_update(
            index_elements=[HotspotPin.survey_id], set_={**values, "pinned_at": func.now()}
        )
    )
    # The upsert went around the session: read the row as it is now.
    return session.get_one(HotspotPin, survey.id, populate_existing=True)


def unpin(session: Session, survey: Survey) -> None:
    """Let the layer show the default parameters again."""
    session.execute(delete(HotspotPin).where(HotspotPin.survey_id == survey.id))


def prepare_layer_run(session: Session, survey: Survey) -> None:
    """Compute and store the layer's run for the current data state, unless it is stored."""
    params = layer_parameters(session, survey)
    hotspot_run(session, survey, params)


def layer_run(survey_id: int) -> ScalarSelect:
    """Select the id of the run the layer shows: its parameters, on the current data state."""

    def chosen(column, default):  # the pinned value, else the default
        pinned = select(column).where(HotspotPin.survey_id == survey_id).scalar_subquery()
        return func.coalesce(pinned, default)

    return (
        select(HotspotRun.id)
        .where(
            HotspotRun.survey_id == survey_id,
            HotspotRun.fingerprint == fingerprint_select(survey_id).scalar_subquery(),
            HotspotRun.indicator == chosen(HotspotPin.indicator, DEFAULTS.indicator),
            HotspotRun.permutations == chosen(HotspotPin.permutations, DEFAULTS.permutations),
            HotspotRun.seed == chosen(HotspotPin.seed, DEFAULTS.seed),
            HotspotRun.nonresponse == chosen(HotspotPin.nonresponse, DEFAULTS.nonresponse),
        )
        .scalar_subquery()
    )
