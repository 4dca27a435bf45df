"""The settlement-clusters layer of a survey wave: DBSCAN hulls (analysts only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, select
from sqlalchemy.orm import QueryableAttribute

from app.geo.analysis.clusters import hull, numbered
from app.geo.layers.registry import Field, Layer, LayerContext
from app.geo.reference.boundary_models import Comune

EPS_KM, MIN_POINTS = 2.0, 3
N = numbered(EPS_KM, MIN_POINTS)


def _rows(ctx: LayerContext) -> Select:
    survey = ctx.wave
    member = (Comune.vintage == survey.vintage) & (Comune.code == N.c.comune_code)
    return (
        select().select_from(N).join(Comune, member)
        .where(N.c.survey_id == survey.id).group_by(N.c.cluster)
    )  # fmt: skip


def _listed(column: ColumnElement[Any] | QueryableAttribute[Any]) -> ColumnElement[str]:
    return func.string_agg(column.distinct(), literal(","))


LOW, HIGH = func.sum(func.coalesce(N.c.low, 0)), func.sum(func.coalesce(N.c.high, 0))

CLUSTERS = Layer(
    name="settlement_clusters",
    title="Settlement clusters",
    description=f"DBSCAN clusters of informal settlements ({EPS_KM:g} km, {MIN_POINTS} points), "
    "hull polygons.",
    geometry_type="Polygon",
    fields=(
        Field("cluster", "integer", "Cluster number (by its first settlement).", N.c.cluster),
        Field("settlements", "integer", "Informal settlements in the cluster.", func.count()),
        Field("persons_min", "integer", "Fewest people, summed (persons).", LOW),
        Field("persons_max", "integer", "Most people, summed (persons).", HIGH),
        Field("persons_mid", "number", "Midpoint, summed (persons).", (LOW + HIGH) / 2.0),
        Field(
            "comuni",
            "string",
            "ISTAT codes of the comuni it touches, comma separated.",
            _listed(N.c.comune_code),
        ),
        Field(
            "provinces",
            "string",
            "ISTAT codes of the provinces it touches.",
            _listed(Comune.province_code),
        ),
        Field(
            "regions",
            "string",
            "ISTAT codes of the regions it touches.",
            _listed(Comune.region_code),
        ),
        Field("eps_km", "number", "DBSCAN radius used (km).", literal(EPS_KM)),
        Field("min_points", "integer", "DBSCAN minimum points used.", literal(MIN_POINTS)),
    ),  # fmt: skip
    rows=_rows,
    geometry=hull(N.c.point),
    id_field="cluster",
    restricted=True,
)
