"""Comuni layers: the public boundaries of each loaded vintage, and a wave's comuni with status."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from app.census.models import Response
from app.geo.layers.registry import Field, Layer, LayerContext
from app.geo.reference.boundary_models import Comune
from app.geo.reference.models import ComuniVintage

COMUNE_FIELDS = (
    Field("code", "string", "6-digit ISTAT code of the comune.", Comune.code),
    Field("name", "string", "Name of the comune.", Comune.name),
    Field("province_code", "string", "ISTAT code of the province (3 digits).",
          Comune.province_code),
    Field("province_name", "string", "Name of the province.", Comune.province_name),
    Field("province_acronym", "string", "Car-plate acronym of the province, e.g. FG.",
          Comune.province_acronym),
    Field("region_code", "string", "ISTAT code of the region (2 digits).", Comune.region_code),
    Field("region_name", "string", "Name of the region.", Comune.region_name),
    Field("ripartizione_code", "integer", "ISTAT macro-area code, 1 to 5.",
          Comune.ripartizione_code),
    Field("ripartizione", "string", "Nord-ovest, Nord-est, Centro, Sud or Isole.",
          Comune.ripartizione),
    Field("population_2011", "integer", "Residents at the 2011 census (persons).",
          Comune.population_2011),
    Field("area_km2", "number", "Area on an equal-area projection (km²).", Comune.area_km2),
)  # fmt: skip


def comuni_of(vintage: int) -> Select:
    """The rows of the comuni of one vintage."""
    return select().select_from(Comune).where(Comune.vintage == vintage)


@lru_cache
def comuni_layer(vintage: int) -> Layer:
    """Return the public reference layer of one boundary vintage."""
    return Layer(
        name=f"comuni_{vintage}",
        title=f"Comuni {vintage}",
        description=f"ISTAT boundaries of the Italian comuni, vintage {vintage}.",
        geometry_type="MultiPolygon",
        fields=COMUNE_FIELDS,
        rows=lambda ctx: comuni_of(vintage),
        geometry=Comune.geom,
        id_field="code",
    )


def vintage_layers(session: Session, ctx: LayerContext) -> list[Layer]:
    """One reference layer per loaded vintage."""
    vintages = session.scalars(select(ComuniVintage.vintage).order_by(ComuniVintage.vintage))
    return [comuni_layer(v) for v in vintages]


# A comune's answer to the wave, if any: whether it answered, and whether it reported foreign
# agri-food workers (both counts of comuni, published as they are).
ANSWER = aliased(Response, name="answer")


def _wave_comuni(ctx: LayerContext) -> Select:
    survey = ctx.wave
    joined = (ANSWER.comune_code == Comune.code) & (ANSWER.survey_id == survey.id)
    return comuni_of(survey.vintage).outerjoin(ANSWER, joined)


WAVE_COMUNI = Layer(
    name="comuni",
    title="Comuni of the wave",
    description="The comuni of the wave's boundary vintage.",
    geometry_type="MultiPolygon",
    fields=COMUNE_FIELDS
    + (
        Field("responded", "boolean", "The comune answered this wave.", ANSWER.id.is_not(None)),
        Field(
            "workers_present",
            "boolean",
            "It reported foreign agri-food workers (null: no answer).",
            ANSWER.workers_present,
        ),
    ),  # fmt: skip
    rows=_wave_comuni,
    geometry=Comune.geom,
    id_field="code",
)
