"""Indicator map layers of a survey wave, one per level, public with small counts withheld.

The rows are the ones the REST indicators answer (`publication.rows_of`, with the one
suppression pattern of the state), stored once per state of the data so that PostGIS can join
them to the boundaries and write GML, GeoJSON and MVT itself. Analysts see the full figures,
everyone else the public view.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Float, Integer, Select, cast, func, select
from sqlalchemy.orm import Session

from app.geo.analysis.indicators import INDICATORS, LEVELS, Level, fingerprint_select
from app.geo.analysis.models import PublishedIndicators
from app.geo.analysis.nonresponse.expected import DESCRIPTIONS as EXPECTED
from app.geo.analysis.publication import (
    COVERAGE_DESCRIPTIONS,
    FIELDS,
    INTEGERS,
    store_published,
)
from app.geo.layers.registry import Field, FieldType, Layer, LayerContext
from app.geo.reference.boundary_models import Comune, UnitBoundary

P = PublishedIndicators


def _prepare(session: Session, ctx: LayerContext) -> None:
    store_published(session, ctx.wave)


def _rows(level: Level):
    boundary = Comune if level == "comune" else UnitBoundary

    def rows(ctx: LayerContext) -> Select:
        survey = ctx.wave
        joined = (boundary.code == P.code) & (boundary.vintage == survey.vintage)
        if boundary is UnitBoundary:
            joined &= UnitBoundary.level == level
        return (
            select()
            .select_from(P)
            .join(boundary, joined)
            .where(
                P.survey_id == survey.id,
                P.audience == ("analyst" if ctx.is_analyst else "public"),
                P.level == level,
                P.fingerprint == fingerprint_select(survey.id).scalar_subquery(),
            )
        )

    return rows, boundary.geom


def _value(name: str) -> Field:
    i = INDICATORS[name]
    kind: FieldType = "integer" if name in INTEGERS else "number"
    note = " Null for the public when withheld." if i.sensitive or i.kind == "rate" else ""
    sql = cast(P.values[name].astext, Integer if name in INTEGERS else Float)
    return Field(name, kind, f"{i.description} Unit: {i.unit}.{note}", sql)


FIELDS_OF_A_UNIT = (
    Field("code", "string", "ISTAT code of the unit.", P.code),
    Field("name", "string", "Name of the unit.", P.name),
    *(_value(name) for name in FIELDS),
    Field("coverage_population", "number", COVERAGE_DESCRIPTIONS["coverage_population"],
          cast(P.values["coverage_population"].astext, Float)),
    Field("coverage_area", "number", COVERAGE_DESCRIPTIONS["coverage_area"],
          cast(P.values["coverage_area"].astext, Float)),
    Field("low_coverage", "boolean", COVERAGE_DESCRIPTIONS["low_coverage"],
          cast(P.values["low_coverage"].astext, Boolean)),
    # The model's estimate: stored with the analysts' rows only, and shown to analysts only.
    Field("workers_present_expected", "number", EXPECTED["workers_present_expected"],
          cast(P.values["workers_present_expected"].astext, Float), analysts_only=True),
    Field("workers_present_expected_low", "integer", EXPECTED["workers_present_expected_low"],
          cast(P.values["workers_present_expected_low"].astext, Integer), analysts_only=True),
    Field("workers_present_expected_high", "integer",
          EXPECTED["workers_present_expected_high"],
          cast(P.values["workers_present_expected_high"].astext, Integer), analysts_only=True),
    Field("suppressed", "boolean", "Some values of this unit are withheld.",
          func.cardinality(P.suppressed_fields) > 0),
    Field("suppressed_fields", "string", "The withheld fields, comma separated.",
          func.array_to_string(P.suppressed_fields, ",")),
)  # fmt: skip


def _layer(level: Level) -> Layer:
    rows, geometry = _rows(level)
    return Layer(
        name=f"indicators_{level}",
        title=f"Indicators by {level}",
        description=f"The wave's indicators per {level}, with the share of residents and area "
        "that answered; small counts withheld for the public, full figures and the presence "
        "model's expected comuni with workers (a model estimate) for analysts.",
        geometry_type="MultiPolygon",
        fields=FIELDS_OF_A_UNIT,
        rows=rows,
        geometry=geometry,
        id_field="code",
        prepare=_prepare,
    )


INDICATOR_LAYERS = tuple(_layer(level) for level in LEVELS)
