"""Indicator map layers of a survey wave: comuni, provinces and regions, public with suppression.

The rows are the ones the REST indicators answer (`publication.rows_of`, with the one
suppression pattern of the state), stored once per state of the data so that PostGIS can join
them to the boundaries and write GML, GeoJSON and MVT itself. Analysts see the full figures,
everyone else the public view.
"""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import Float, Integer, Select, and_, cast, delete, func, select, text
from sqlalchemy.orm import Session

from app.census.models import Survey
from app.geo.indicators import INDICATORS, LEVELS, Level, fingerprint_select
from app.geo.layers import SURVEY, Field, FieldType, Layer, LayerContext
from app.geo.models import Comune, PublishedIndicators, UnitBoundary
from app.geo.publication import FIELDS, INTEGERS, current_tables, public_pattern, rows_of

LAYER_LEVELS: tuple[Level, ...] = LEVELS
AUDIENCES = ("public", "analyst")
COLUMNS = ("survey_id", "fingerprint", "audience", "level", "code", "name", "values",
           "suppressed_fields")  # fmt: skip


def _store(session: Session, survey: Survey) -> None:
    """Store the current state's rows for both audiences, once; forget older states."""
    current = current_tables(session, survey)
    fingerprint = current.fingerprint
    # One writer per wave at a time; the others find the rows already there.
    session.execute(text("select pg_advisory_xact_lock(87031, :s)"), {"s": survey.id})
    stored = session.scalar(
        select(func.count())
        .select_from(PublishedIndicators)
        .where(
            PublishedIndicators.survey_id == survey.id,
            PublishedIndicators.fingerprint == fingerprint,
        )
    )
    if stored:
        return
    session.execute(delete(PublishedIndicators).where(PublishedIndicators.survey_id == survey.id))
    pattern = public_pattern(current)
    buf = io.StringIO()
    writer = csv.writer(buf)
    for audience in AUDIENCES:
        for level in LAYER_LEVELS:
            for row in rows_of(current, level, pattern if audience == "public" else None):
                values = {name: row[name] for name in FIELDS}
                writer.writerow(
                    [survey.id, fingerprint, audience, level, row["code"], row["name"],
                     json.dumps(values), "{" + ",".join(row["suppressed_fields"]) + "}"]
                )  # fmt: skip
    buf.seek(0)
    cursor = session.connection().connection.cursor()
    cursor.copy_expert(
        f"copy published_indicators ({', '.join(COLUMNS)}) from stdin with (format csv)", buf
    )
    # Fresh statistics, or the planner joins the boundaries by a loop of GiST scans.
    session.execute(text("analyze published_indicators"))


def _prepare(session: Session, ctx: LayerContext) -> None:
    assert ctx.survey is not None
    _store(session, ctx.survey)


def _value(name: str):
    raw = PublishedIndicators.values[name].astext
    kind = Integer if name in INTEGERS else Float
    return cast(raw, kind).label(name)


def _source(level: Level):
    def source(ctx: LayerContext) -> Select:
        survey = ctx.survey
        assert survey is not None
        p = PublishedIndicators
        if level == "comune":
            geometry = select(Comune.code, Comune.geom).where(Comune.vintage == survey.vintage)
        else:
            geometry = select(UnitBoundary.code, UnitBoundary.geom).where(
                UnitBoundary.vintage == survey.vintage, UnitBoundary.level == level
            )
        g = geometry.subquery("g")
        return (
            select(
                p.code.label("code"),
                p.name.label("name"),
                *(_value(name) for name in FIELDS),
                (func.cardinality(p.suppressed_fields) > 0).label("suppressed"),
                func.array_to_string(p.suppressed_fields, ",").label("suppressed_fields"),
                g.c.geom.label("geom"),
            )
            .join(g, g.c.code == p.code)
            .where(
                and_(
                    p.survey_id == survey.id,
                    p.audience == ("analyst" if ctx.is_analyst else "public"),
                    p.level == level,
                    p.fingerprint == fingerprint_select(survey.id).scalar_subquery(),
                )
            )
        )

    return source


def _fields() -> tuple[Field, ...]:
    fields = [
        Field("code", "string", "ISTAT code of the unit."),
        Field("name", "string", "Name of the unit."),
    ]
    for name in FIELDS:
        i = INDICATORS[name]
        kind: FieldType = "integer" if name in INTEGERS else "number"
        note = " Null for the public when withheld." if i.sensitive or i.kind == "rate" else ""
        fields.append(Field(name, kind, f"{i.description} Unit: {i.unit}.{note}"))
    fields += [
        Field("suppressed", "boolean", "Some values of this unit are withheld."),
        Field("suppressed_fields", "string", "The withheld fields, comma separated."),
    ]
    return tuple(fields)


for _level in LAYER_LEVELS:
    SURVEY.add(
        Layer(
            name=f"indicators_{_level}",
            title=f"Indicators by {_level}",
            description=f"The wave's indicators per {_level}; small counts withheld for the "
            "public, full figures for analysts.",
            geometry_type="MultiPolygon",
            fields=_fields(),
            source=_source(_level),
            id_field="code",
            prepare=_prepare,
        )
    )
