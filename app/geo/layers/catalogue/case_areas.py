"""The `case_areas` map layer of a survey wave: the published run, or any run for analysts.

Everyone gets the published run's areas: rank, name, the public reasons, the polygon. Analysts
get the analysts' reasons and a few more fields, and may ask for any run of the wave with the
door's `run` parameter; anyone else's `run` is ignored. A run the wave does not have is refused
(400, naming the run), never answered with no areas. The layer is listed only when there is
something to show the caller: a published run (everyone), or any run (analysts).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, exists, func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from app.errors import InvalidQuery
from app.geo.case_areas.area_models import CaseArea
from app.geo.case_areas.models import CaseAreaRun
from app.geo.layers.registry import Field, Layer, LayerContext


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


def _rows(ctx: LayerContext) -> Select:
    """The areas of the run this caller may see."""
    return (
        select()
        .select_from(CaseArea)
        .join(CaseAreaRun, CaseAreaRun.id == CaseArea.run_id)
        .where(CaseAreaRun.survey_id == ctx.wave.id, _run_filter(ctx))
    )


def _check_run(session: Session, ctx: LayerContext) -> None:
    """Refuse an analyst's run that is not one of this wave's."""
    if not ctx.is_analyst or ctx.run is None:
        return
    ours = exists().where(CaseAreaRun.id == ctx.run, CaseAreaRun.survey_id == ctx.wave.id)
    if not session.scalar(select(ours)):
        raise InvalidQuery(f"run {ctx.run} is not a case-area run of survey {ctx.wave.code}", "run")


def _reasons(ctx: LayerContext) -> ColumnElement[str]:
    return _joined(CaseArea.reasons if ctx.is_analyst else CaseArea.public_reasons)


CASE_AREAS = Layer(
    name="case_areas",
    title="Case areas",
    description="The proposed case areas for fieldwork: the published run (analysts: any run, "
    "with the run parameter).",
    geometry_type="MultiPolygon",
    fields=(
        Field("rank", "integer", "Rank of the area, 1 = highest score.", CaseArea.rank),
        Field("name", "string", "Named after its two most populous comuni.", CaseArea.name),
        Field(
            "reasons",
            "string",
            "Why it was chosen, reasons separated by '; '. The public "
            "reasons cite only published, suppressed figures.",
            _reasons,
        ),
        Field("score", "number", "Weighted score, 0-1.", CaseArea.score, analysts_only=True),
        Field(
            "comuni",
            "string",
            "ISTAT codes of the member comuni, comma-separated.",
            func.array_to_string(CaseArea.comuni, ","),
            analysts_only=True,
        ),
        Field(
            "ripartizioni",
            "string",
            "Ripartizioni it covers, comma-separated.",
            func.array_to_string(CaseArea.ripartizioni, ","),
            analysts_only=True,
        ),
        Field(
            "runner_up",
            "string",
            "What a re-run without this area's comuni picks instead.",
            CaseArea.runner_up["name"].astext,
            analysts_only=True,
        ),
        Field("run_id", "integer", "The run.", CaseArea.run_id, analysts_only=True),
    ),  # fmt: skip
    rows=_rows,
    geometry=CaseArea.geom,
    id_field="rank",
    prepare=_check_run,
)


def case_area_layers(session: Session, ctx: LayerContext) -> list[Layer]:
    """The layer, once there is something to show the caller."""
    if ctx.survey is None:
        return []
    runs = CaseAreaRun.survey_id == ctx.survey.id
    if not ctx.is_analyst:
        runs = runs & CaseAreaRun.published_at.is_not(None)
    return [CASE_AREAS] if session.scalar(select(exists().where(runs))) else []
