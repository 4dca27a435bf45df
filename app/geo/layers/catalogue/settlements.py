"""Settlement layers of a survey wave: formal and informal settlements (analysts only).

They carry no personal data and no free-text notes: the respondent block and the response's
notes never reach them. Every one of them is `restricted`, so for anyone but an analyst it does
not exist, on every door.
"""

from __future__ import annotations

from sqlalchemy import Select, and_, case, func, literal, select

from app.census.settlement_models import FormalSettlementRow, InformalSettlementRow
from app.geo.layers.registry import Field, Layer, LayerContext
from app.geo.reference.boundary_models import Comune

F, I = FormalSettlementRow, InformalSettlementRow  # noqa: E741  (short: they fill the tables)


def _common(t) -> tuple[Field, ...]:
    return (
        Field("id", "integer", "Settlement number (changes when the response is corrected).",
              t.id),
        Field("comune_code", "string", "6-digit ISTAT code of the comune that reported it.",
              t.comune_code),
        Field("comune_name", "string", "Name of the comune.", Comune.name),
        Field("province_code", "string", "ISTAT code of the province.", Comune.province_code),
        Field("region_code", "string", "ISTAT code of the region.", Comune.region_code),
        Field("name", "string", "Name the comune gave the settlement.", t.name),
        Field("type", "string", "Type of settlement (see the questionnaire).", t.type),
        Field("location_kind", "string", "point, or polygon when an area was given (its point "
              "on surface is shown).",
              case((func.ST_GeometryType(t.location) == "ST_Point", "point"), else_="polygon")),
    )  # fmt: skip


def _rows(t):
    def rows(ctx: LayerContext) -> Select:
        survey = ctx.wave
        return (
            select()
            .select_from(t)
            .join(Comune, and_(Comune.code == t.comune_code, Comune.vintage == survey.vintage))
            .where(t.survey_id == survey.id, t.point.is_not(None))
        )

    return rows


SERVICES = {
    "water": "Has water", "electricity": "Has electricity", "sanitation": "Has sanitation",
    "heating": "Has heating", "transport": "Served by transport", "toilets": "Has toilets",
    "waste_collection": "Has waste collection",
    "public_transport": "Served by public transport",
}  # fmt: skip


def _services(t, *names: str) -> tuple[Field, ...]:
    """Yes/no services, answered per settlement; null when the comune did not know."""
    return tuple(
        Field(name, "boolean", f"{SERVICES[name]} (null: unknown).", getattr(t, name))
        for name in names
    )


FORMAL_FIELDS = (
    *_common(F),
    Field("managed_by", "string", "public, private or third_sector.", F.managed_by),
    Field("capacity", "integer", "Places (persons).", F.capacity),
    Field("occupants", "integer", "People housed (persons).", F.occupants),
    Field("seasonal", "boolean", "Open for the season only.", F.seasonal),
    *_services(F, "water", "electricity", "sanitation", "heating", "transport"),
)

INFORMAL_FIELDS = (
    *_common(I),
    Field("persons_min", "integer", "Fewest people present (persons).", I.persons_min),
    Field("persons_max", "integer", "Most people present (persons).", I.persons_max),
    Field("persons_mid", "number", "Midpoint of min and max (persons).",
          (I.persons_min + I.persons_max) / 2.0),
    Field("since_year", "integer", "Year the settlement appeared.", I.since_year),
    Field("years_active", "integer", "Years active at the wave's reference year.",
          lambda ctx: literal(ctx.wave.opens_at.year) - I.since_year),
    *_services(I, "water", "electricity", "toilets", "waste_collection"),
    Field("distance_to_work_km", "number", "Distance to the workplaces (km).",
          I.distance_to_work_km),
    *_services(I, "public_transport"),
)  # fmt: skip


def _informal_areas(ctx: LayerContext) -> Select:
    return _rows(I)(ctx).where(func.ST_GeometryType(I.location) != "ST_Point")


FORMAL = Layer(
    name="formal_settlements",
    title="Formal settlements",
    description="A point per formal settlement of the wave's current responses.",
    geometry_type="Point",
    fields=FORMAL_FIELDS,
    rows=_rows(F),
    geometry=F.point,
    restricted=True,
)
INFORMAL = Layer(
    name="informal_settlements",
    title="Informal settlements",
    description="A point per informal settlement (an area's point on surface).",
    geometry_type="Point",
    fields=INFORMAL_FIELDS,
    rows=_rows(I),
    geometry=I.point,
    restricted=True,
)
INFORMAL_AREAS = Layer(
    name="informal_settlement_areas",
    title="Informal settlement areas",
    description="Informal settlements given as polygons.",
    geometry_type="MultiPolygon",
    fields=INFORMAL_FIELDS,
    rows=_informal_areas,
    geometry=func.ST_Multi(I.location),
    restricted=True,
)
