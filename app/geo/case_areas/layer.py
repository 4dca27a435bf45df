"""The `case_areas` map layer of a survey wave: the published run, or any run for analysts.

Everyone gets the published run's areas: rank, name, the public reasons, the polygon. Analysts
get the analysts' reasons and a few more fields, and may ask for any run of the wave with the
door's `run` parameter; anyone else's `run` is ignored. The layer is listed only when there is
something to show the caller: a published run (everyone), or any run (analysts).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, exists, func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from app.geo.case_areas.models import CaseArea, CaseAreaRun
from app.geo.layers import SURVEY, Field, Layer, LayerContext


def _joined(column) -> ColumnElement[str]:
    """The texts of a JSONB list of reasons, in order, joined by "; " (in the database)."""
    items = (
        func.jsonb_array_elements(column)
        .table_valued("value", with_ordinality="ord")
        .render_derived()
    )
    text = func.jsonb_extract_path_text(items.c.value, "text")
    return select(
        func.string_agg(text, aggregate_order_by(literal("; "), items.c.ord))
    ).scalar_subquery()


def _run_filter(ctx: LayerContext) -> ColumnElement[bool]:
    if ctx.is_analyst and ctx.run is not None:
        return CaseAreaRun.id == ctx.run
    return CaseAreaRun.published_at.is_not(None)


def case_area_features(ctx: LayerContext) -> Select:
    """Select the areas this caller may see, one row per area, with `geom` in EPSG:4326."""
    assert ctx.survey is not None, "survey layers need a survey"
    reasons = CaseArea.reasons if ctx.is_analyst else CaseArea.public_reasons
    return (
        select(
            CaseArea.rank,
            CaseArea.name,
            _joined(reasons).label("reasons"),
            CaseArea.score,
            func.array_to_string(CaseArea.comuni, ",").label("comuni"),
            func.array_to_string(CaseArea.ripartizioni, ",").label("ripartizioni"),
            CaseArea.runner_up["name"].astext.label("runner_up"),
            CaseArea.run_id,
            CaseArea.geom,
        )
        .join(CaseAreaRun, CaseAreaRun.id == CaseArea.run_id)
        .where(CaseAreaRun.survey_id == ctx.survey.id, _run_filter(ctx))
    )


CASE_AREAS = Layer(
    name="case_areas",
    title="Case areas",
    description="The proposed case areas for fieldwork: the published run (analysts: any run, "
    "with the run parameter).",
    geometry_type="MultiPolygon",
    fields=(
        Field("rank", "integer", "Rank of the area, 1 = highest score."),
        Field("name", "string", "Named after its two most populous comuni."),
        Field(
            "reasons",
            "string",
            "Why it was chosen, reasons separated by '; '. The public "
            "reasons cite only published, suppressed figures.",
        ),
        Field("score", "number", "Weighted score, 0-1.", analysts_only=True),
        Field(
            "comuni",
            "string",
            "ISTAT codes of the member comuni, comma-separated.",
            analysts_only=True,
        ),
        Field(
            "ripartizioni", "string", "Ripartizioni it covers, comma-separated.", analysts_only=True
        ),
        Field(
            "runner_up",
            "string",
            "What a re-run without this area's comuni picks instead.",
            analysts_only=True,
        ),
        Field("run_id", "integer", "The run.", analysts_only=True),
    ),  # fmt: skip
    source=case_area_features,
    id_field="rank",
)


@SURVEY.discover
def _case_area_layers(session: Session, ctx: LayerContext) -> list[Layer]:
    if ctx.survey is None:
        return []
    runs = CaseAreaRun.survey_id == ctx.survey.id
    if not ctx.is_analyst:
        runs = runs & CaseAreaRun.published_at.is_not(None)
    return [CASE_AREAS] if session.scalar(select(exists().where(runs))) else []
