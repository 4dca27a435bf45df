"""The survey wave's analytical layers: settlements, clusters and hot spots (analysts only).

Settlement layers carry no personal data and no free-text notes: the respondent block and the
response's notes never reach them. Every one of these layers is `restricted`, so for anyone but
an analyst it does not exist, on every door.
"""

from __future__ import annotations

from sqlalchemy import (
    Float,
    Integer,
    Select,
    String,
    and_,
    case,
    column,
    func,
    literal,
    select,
    text,
)

from app.census.models import FormalSettlementRow, InformalSettlementRow
from app.geo.clusters import cluster_features
from app.geo.layers import SURVEY, Field, Layer, LayerContext
from app.geo.models import Comune

SETTLEMENT_FIELDS = (
    Field("id", "integer", "Settlement number (changes when the response is corrected)."),
    Field("comune_code", "string", "6-digit ISTAT code of the comune that reported it."),
    Field("comune_name", "string", "Name of the comune."),
    Field("province_code", "string", "ISTAT code of the province."),
    Field("region_code", "string", "ISTAT code of the region."),
    Field("name", "string", "Name the comune gave the settlement."),
    Field("type", "string", "Type of settlement (see the questionnaire)."),
    Field("location_kind", "string", "point, or polygon when an area was given (its point on "
          "surface is shown)."),
)  # fmt: skip


def _survey(ctx: LayerContext):
    assert ctx.survey is not None, "survey layers need a survey"
    return ctx.survey


def _settlements(table, ctx: LayerContext, extra: list, geom) -> Select:
    survey = _survey(ctx)
    return (
        select(
            table.id.label("id"),
            table.comune_code.label("comune_code"),
            Comune.name.label("comune_name"),
            Comune.province_code.label("province_code"),
            Comune.region_code.label("region_code"),
            table.name.label("name"),
            table.type.label("type"),
            case(
                (func.ST_GeometryType(table.location) == "ST_Point", "point"), else_="polygon"
            ).label("location_kind"),
            *extra,
            geom.label("geom"),
        )
        .join(Comune, and_(Comune.code == table.comune_code, Comune.vintage == survey.vintage))
        .where(table.survey_id == survey.id, table.point.is_not(None))
    )


FORMAL_FIELDS = SETTLEMENT_FIELDS + (
    Field("managed_by", "string", "public, private or third_sector."),
    Field("capacity", "integer", "Places (persons)."),
    Field("occupants", "integer", "People housed (persons)."),
    Field("seasonal", "boolean", "Open for the season only."),
    Field("water", "boolean", "Has water (null: unknown)."),
    Field("electricity", "boolean", "Has electricity (null: unknown)."),
    Field("sanitation", "boolean", "Has sanitation (null: unknown)."),
    Field("heating", "boolean", "Has heating (null: unknown)."),
    Field("transport", "boolean", "Served by transport (null: unknown)."),
)


def _formal(ctx: LayerContext) -> Select:
    t = FormalSettlementRow
    extra = [t.managed_by.label("managed_by"), t.capacity.label("capacity"),
             t.occupants.label("occupants"), t.seasonal.label("seasonal"),
             t.water.label("water"), t.electricity.label("electricity"),
             t.sanitation.label("sanitation"), t.heating.label("heating"),
             t.transport.label("transport")]  # fmt: skip
    return _settlements(t, ctx, extra, t.point)


INFORMAL_FIELDS = SETTLEMENT_FIELDS + (
    Field("persons_min", "integer", "Fewest people present (persons)."),
    Field("persons_max", "integer", "Most people present (persons)."),
    Field("persons_mid", "number", "Midpoint of min and max (persons)."),
    Field("since_year", "integer", "Year the settlement appeared."),
    Field("years_active", "integer", "Years active at the wave's reference year."),
    Field("water", "boolean", "Has water (null: unknown)."),
    Field("electricity", "boolean", "Has electricity (null: unknown)."),
    Field("toilets", "boolean", "Has toilets (null: unknown)."),
    Field("waste_collection", "boolean", "Has waste collection (null: unknown)."),
    Field("distance_to_work_km", "number", "Distance to the workplaces (km)."),
    Field("public_transport", "boolean", "Served by public transport (null: unknown)."),
)


def _informal_extra(ctx: LayerContext) -> list:
    t = InformalSettlementRow
    reference_year = _survey(ctx).opens_at.year
    return [
        t.persons_min.label("persons_min"), t.persons_max.label("persons_max"),
        ((t.persons_min + t.persons_max) / 2.0).label("persons_mid"),
        t.since_year.label("since_year"),
        (literal(reference_year) - t.since_year).label("years_active"),
        t.water.label("water"), t.electricity.label("electricity"), t.toilets.label("toilets"),
        t.waste_collection.label("waste_collection"),
        t.distance_to_work_km.label("distance_to_work_km"),
        t.public_transport.label("public_transport"),
    ]  # fmt: skip


def _informal(ctx: LayerContext) -> Select:
    return _settlements(
        InformalSettlementRow, ctx, _informal_extra(ctx), InformalSettlementRow.point
    )


def _informal_areas(ctx: LayerContext) -> Select:
    t = InformalSettlementRow
    stmt = _settlements(t, ctx, _informal_extra(ctx), func.ST_Multi(t.location))
    return stmt.where(func.ST_GeometryType(t.location) != "ST_Point")


CLUSTER_FIELDS = (
    Field("cluster", "integer", "Cluster number (by its first settlement)."),
    Field("settlements", "integer", "Informal settlements in the cluster."),
    Field("persons_min", "integer", "Fewest people, summed (persons)."),
    Field("persons_max", "integer", "Most people, summed (persons)."),
    Field("persons_mid", "number", "Midpoint, summed (persons)."),
    Field("comuni", "string", "ISTAT codes of the comuni it touches, comma separated."),
    Field("provinces", "string", "ISTAT codes of the provinces it touches."),
    Field("regions", "string", "ISTAT codes of the regions it touches."),
    Field("eps_km", "number", "DBSCAN radius used (km)."),
    Field("min_points", "integer", "DBSCAN minimum points used."),
)


def _clusters(ctx: LayerContext) -> Select:
    survey = _survey(ctx)
    return cluster_features(survey.id, survey.vintage)


HOTSPOT_FIELDS = (
    Field("code", "string", "6-digit ISTAT code of the comune."),
    Field("name", "string", "Name of the comune."),
    Field("indicator", "string", "The indicator tested."),
    Field("value", "number", "Its value (null: the comune did not respond, counted as 0)."),
    Field("z", "number", "Gi* standardised by its permutation distribution."),
    Field("p_fdr", "number", "p adjusted for false discoveries (Benjamini-Hochberg)."),
    Field("hotspot_class", "string", "hot_99/95/90, cold_99/95/90 or not_significant."),
    Field("permutations", "integer", "Permutations of the test."),
    Field("seed", "integer", "Seed of the permutations."),
    Field("computed_at", "datetime", "When it was computed."),
)

# The latest Gi* computed for the wave (GET /api/v1/surveys/{code}/hotspots computes one).
LATEST_HOTSPOTS = """
    select x.code, c.name, h.indicator, x.value, x.z, x.p_fdr, x."class" as hotspot_class,
           h.permutations, h.seed, h.computed_at, c.geom
    from (select * from hotspot_runs where survey_id = :survey_id
          order by computed_at desc, id desc limit 1) h
    cross join jsonb_to_recordset(h.items) as x(code text, value float8, z float8,
                                                p_fdr float8, "class" text)
    join comuni c on c.vintage = :vintage and c.code = x.code
"""


def _hotspots(ctx: LayerContext) -> Select:
    survey = _survey(ctx)
    columns = [
        column("code", String), column("name", String), column("indicator", String),
        column("value", Float), column("z", Float), column("p_fdr", Float),
        column("hotspot_class", String), column("permutations", Integer),
        column("seed", Integer), column("computed_at"), column("geom"),
    ]  # fmt: skip
    return select(
        *text(LATEST_HOTSPOTS)
        .bindparams(survey_id=survey.id, vintage=survey.vintage)
        .columns(*columns)
        .subquery("latest")
        .c
    )


for layer in (
    Layer("formal_settlements", "Formal settlements", "A point per formal settlement of the "
          "wave's current responses.", "Point", FORMAL_FIELDS, _formal, restricted=True),
    Layer("informal_settlements", "Informal settlements", "A point per informal settlement "
          "(an area's point on surface).", "Point", INFORMAL_FIELDS, _informal, restricted=True),
    Layer("informal_settlement_areas", "Informal settlement areas", "Informal settlements given "
          "as polygons.", "MultiPolygon", INFORMAL_FIELDS, _informal_areas, restricted=True),
    Layer("settlement_clusters", "Settlement clusters", "DBSCAN clusters of informal "
          "settlements (2 km, 3 points), hull polygons.", "Polygon", CLUSTER_FIELDS, _clusters,
          id_field="cluster", restricted=True),
    Layer("hotspots", "Hot spots", "The latest Getis-Ord Gi* computed for the wave, per "
          "comune.", "MultiPolygon", HOTSPOT_FIELDS, _hotspots, id_field="code",
          restricted=True),
):  # fmt: skip
    SURVEY.add(layer)
