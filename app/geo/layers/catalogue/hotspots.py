"""The hot-spots layer of a survey wave: the wave's defined Gi* run, per comune (analysts only).

The run is the one `hotspot_pins` defines: the parameters an analyst pinned for the wave, or the
defaults, on the current data state; it is computed on first read. Every feature names them.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Float, Select, String, column, func, select, true
from sqlalchemy.orm import Session

from app.geo.analysis.hotspot_pins import layer_run, prepare_layer_run
from app.geo.analysis.hotspots import DEFAULTS
from app.geo.analysis.models import HotspotPin, HotspotRun
from app.geo.layers.registry import Field, Layer, LayerContext
from app.geo.reference.boundary_models import Comune

# One row per comune of the run's stored items.
ITEM = (
    func.jsonb_to_recordset(HotspotRun.items)
    .table_valued(
        column("code", String),
        column("value", Float),
        column("responded", Boolean),
        column("island", Boolean),
        column("z", Float),
        column("p_fdr", Float),
        column("class", String),
    )  # fmt: skip
    .render_derived(name="item", with_types=True)
)


def _prepare(session: Session, ctx: LayerContext) -> None:
    prepare_layer_run(session, ctx.wave)


def _rows(ctx: LayerContext) -> Select:
    survey = ctx.wave
    comune = (Comune.vintage == survey.vintage) & (Comune.code == ITEM.c.code)
    return (
        select().select_from(HotspotRun).join(ITEM, true()).join(Comune, comune)
        .outerjoin(HotspotPin, HotspotPin.survey_id == HotspotRun.survey_id)
        .where(HotspotRun.id == layer_run(survey.id))
    )  # fmt: skip


HOTSPOTS = Layer(
    name="hotspots",
    title="Hot spots",
    description=(
        "Getis-Ord Gi* per comune on the current data, with the Gi* parameters an analyst "
        f"pinned for the wave, or else the defaults ({DEFAULTS.indicator}, "
        f"{DEFAULTS.permutations} permutations, seed {DEFAULTS.seed}, silent comuni "
        f"{DEFAULTS.nonresponse}); every feature names them. Under nonresponse=missing a comune "
        "that did not respond has no z, p_fdr or class."
    ),
    geometry_type="MultiPolygon",
    fields=(
        Field("code", "string", "6-digit ISTAT code of the comune.", ITEM.c.code),
        Field("name", "string", "Name of the comune.", Comune.name),
        Field("indicator", "string", "The indicator tested.", HotspotRun.indicator),
        Field(
            "value",
            "number",
            "Its value (null: the comune did not respond).",
            ITEM.c.value,
        ),
        Field(
            "responded",
            "boolean",
            "False: the comune did not respond (unknown; no statistic under missing, 0 "
            "under zero).",
            ITEM.c.responded,
        ),
        Field(
            "island",
            "boolean",
            "A respondent with no responding contiguous comune, joined to its nearest "
            "responding comune.",
            func.coalesce(ITEM.c.island, False),
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
        Field(
            "nonresponse",
            "string",
            "How silent comuni were treated: missing (left out) or zero (counted 0).",
            HotspotRun.nonresponse,
        ),
        Field(
            "pinned",
            "boolean",
            "The parameters were pinned by an analyst (false: the wave's defaults).",
            HotspotPin.survey_id.is_not(None),
        ),
        Field("fingerprint", "string", "The data state it ran on.", HotspotRun.fingerprint),
        Field("computed_at", "datetime", "When it was computed.", HotspotRun.computed_at),
    ),  # fmt: skip
    rows=_rows,
    geometry=Comune.geom,
    id_field="code",
    restricted=True,
    prepare=_prepare,
)
