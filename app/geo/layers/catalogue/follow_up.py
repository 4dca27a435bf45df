"""The follow-up layer of a survey wave: the comuni that have not answered, ranked (analysts only).

The same list as the follow-up endpoint, on a map: every silent comune of the wave's vintage
with the presence model's estimate, its place in the national list and the facts behind it,
from the fit of the current data state (seed 0), which is computed and stored on first read.
The estimate is a model's, never an answer, and the layer says so on every feature.
"""

from __future__ import annotations

from sqlalchemy import ScalarSelect, Select, func, literal, select
from sqlalchemy.orm import Session

from app.geo.analysis.indicators import fingerprint_select
from app.geo.analysis.nonresponse.models import PresenceEstimate, PresenceFit
from app.geo.analysis.nonresponse.presence import METHOD, presence_fit
from app.geo.layers.registry import Field, Layer, LayerContext
from app.geo.reference.boundary_models import Comune

E = PresenceEstimate
SEED = 0  # the fit the follow-up list shows by default


def _prepare(session: Session, ctx: LayerContext) -> None:
    presence_fit(session, ctx.wave, SEED)


def _current_fit(survey_id: int) -> ScalarSelect:
    """Select the id of the fit of the wave's current data state."""
    return (
        select(PresenceFit.id)
        .where(
            PresenceFit.survey_id == survey_id,
            PresenceFit.fingerprint == fingerprint_select(survey_id).scalar_subquery(),
            PresenceFit.seed == SEED,
            PresenceFit.method == METHOD,
        )
        .scalar_subquery()
    )


def _rows(ctx: LayerContext) -> Select:
    survey = ctx.wave
    comune = (Comune.vintage == survey.vintage) & (Comune.code == E.code)
    return (
        select().select_from(E).join(Comune, comune)
        .join(PresenceFit, PresenceFit.id == E.fit_id)
        .where(E.fit_id == _current_fit(survey.id), E.rank.is_not(None))
    )  # fmt: skip


_driver = func.jsonb_array_elements(E.drivers).table_valued("value").render_derived(name="d")
REASONS = (
    select(func.string_agg(_driver.c.value.op("->>")(literal("text")), literal("; ")))
    .select_from(_driver)
    .scalar_subquery()
)

FOLLOW_UP = Layer(
    name="follow_up",
    title="Follow-up: comuni that have not answered",
    description=(
        "Every comune of the wave's vintage that has not answered, with the presence model's "
        "estimate (a model estimate, not an answer) that foreign agri-food workers are present "
        "there, its place in the national follow-up list and the facts behind it."
    ),
    geometry_type="MultiPolygon",
    fields=(
        Field("code", "string", "6-digit ISTAT code of the comune.", E.code),
        Field("name", "string", "Name of the comune.", Comune.name),
        Field("province_code", "string", "ISTAT code of its province.", Comune.province_code),
        Field("province_acronym", "string", "Its province's acronym.", Comune.province_acronym),
        Field("region_name", "string", "Its region.", Comune.region_name),
        Field("ripartizione", "string", "Its ripartizione.", Comune.ripartizione),
        Field(
            "population_2011",
            "integer",
            "Residents at the 2011 census (persons).",
            Comune.population_2011,
        ),
        Field("rank", "integer", "Place in the national follow-up list (1 = most likely).", E.rank),
        Field(
            "p_workers_present",
            "number",
            "Model estimate, not an answer: probability "
            "that foreign agri-food workers are present, from the other comuni's answers.",
            E.p_workers_present,
        ),
        Field(
            "reasons",
            "string",
            "The facts that drive the estimate, in plain words, joined by '; '.",
            REASONS,
        ),
        Field(
            "estimate", "string", "Always 'model': an estimate, not an answer.", literal("model")
        ),
        Field(
            "fit_id", "integer", "The fit that gave the estimate (see presence-model).", E.fit_id
        ),
        Field(
            "fingerprint",
            "string",
            "The data state the model was fitted on.",
            PresenceFit.fingerprint,
        ),
    ),  # fmt: skip
    rows=_rows,
    geometry=Comune.geom,
    id_field="code",
    restricted=True,
    prepare=_prepare,
)
