"""The hot-spots layer of a survey wave: a stored Gi* run, per comune (analysts only)."""

from __future__ import annotations

from sqlalchemy import Float, Select, String, column, func, select, true

from app.geo.analysis.models import HotspotRun
from app.geo.layers.registry import Field, Layer, LayerContext
from app.geo.reference.models import Comune

# One row per comune of the run's stored items.
ITEM = (
    func.jsonb_to_recordset(HotspotRun.items)
    .table_valued(
        column("code", String),
        column("value", Float),
        column("z", Float),
        column("p_fdr", Float),
        column("class", String),
    )  # fmt: skip
    .render_derived(name="item", with_types=True)
)


def _latest(survey_id: int):
    """The latest Gi* computed for the wave (GET /api/v1/surveys/{code}/hotspots computes one)."""
    return (
        select(HotspotRun.id)
        .where(HotspotRun.survey_id == survey_id)
        .order_by(HotspotRun.computed_at.desc(), HotspotRun.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _rows(ctx: LayerContext) -> Select:
    survey = ctx.wave
    comune = (Comune.vintage == survey.vintage) & (Comune.code == ITEM.c.code)
    return (
        select().select_from(HotspotRun).join(ITEM, true()).join(Comune, comune)
        .where(HotspotRun.id == _latest(survey.id))
    )  # fmt: skip


HOTSPOTS = Layer(
    name="hotspots",
    title="Hot spots",
    description="The latest Getis-Ord Gi* computed for the wave, per comune.",
    geometry_type="MultiPolygon",
    fields=(
        Field("code", "string", "6-digit ISTAT code of the comune.", ITEM.c.code),
        Field("name", "string", "Name of the comune.", Comune.name),
        Field("indicator", "string", "The indicator tested.", HotspotRun.indicator),
        Field(
            "value",
            "number",
            "Its value (null: the comune did not respond, counted as 0).",
            ITEM.c.value,
        ),
        Field("z", "number", "Gi* standardised by its permutation distribution.", ITEM.c.z),
        Field(
            "p_fdr",
            "number",
            "p adjusted for false discoveries (Benjamini-Hochberg).",
            ITEM.c.p_fdr,
        ),
        Field(
            "hotspot_class",
            "string",
            "hot_99/95/90, cold_99/95/90 or not_significant.",
            ITEM.c["class"],
        ),
        Field("permutations", "integer", "Permutations of the test.", HotspotRun.permutations),
        Field("seed", "integer", "Seed of the permutations.", HotspotRun.seed),
        Field("computed_at", "datetime", "When it was computed.", HotspotRun.computed_at),
    ),  # fmt: skip
    rows=_rows,
    geometry=Comune.geom,
    id_field="code",
    restricted=True,
)
