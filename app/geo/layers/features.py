"""A layer's features as PostGIS writes them: filtered, sorted, paged, reprojected, streamed.

PostgreSQL writes each feature's whole text (GeoJSON, or GML with its attributes escaped by the
database), and the rows come out of a server-side cursor in batches: Python only joins strings.
Coordinates are written with the output CRS's fixed precision (`Crs.decimals`: 6 decimals for
degrees, 2 for metres).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    Text,
    and_,
    cast,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.errors import InvalidQuery
from app.geo.layers.crs import SUPPORTED, WGS84, Crs
from app.geo.layers.filters import (
    And,
    Between,
    Compare,
    Envelope,
    Filter,
    Geometry,
    GmlGeometry,
    IsNull,
    Like,
    Not,
    Or,
    ResourceIds,
    Spatial,
)
from app.geo.layers.registry import GEOMETRY, Field, Layer, LayerContext

BATCH = 1000


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool = False


@dataclass(frozen=True)
class FeatureQuery:
    """What to select and how to write it."""

    filter: Filter | None = None
    sort: tuple[SortKey, ...] = ()
    limit: int | None = None
    offset: int = 0
    # None: every field and the geometry; otherwise these fields, and the geometry if named.
    properties: tuple[str, ...] | None = None
    crs: Crs = WGS84
    # Write coordinates northing (latitude) first, as the urn/http names of EPSG:4326 want.
    northing_first: bool = False

    def returned(self, matched: int) -> int:
        """Return how many features a page holds when `matched` features match."""
        left = max(0, matched - self.offset)
        return left if self.limit is None else min(self.limit, left)


@dataclass(frozen=True)
class GmlStyle:
    """The protocol-specific parts of a GML feature member."""

    member: str  # wfs:member (WFS 2.0) or gml:featureMember (WFS 1.1)
    prefix: str  # the prefix bound to the layers' namespace
    long_srs_name: bool  # srsName="urn:ogc:def:crs:EPSG::n" rather than "EPSG:n"


def _text(value: str) -> ColumnElement[str]:
    return literal(value, Text)


def _concat(*parts: ColumnElement[Any]) -> ColumnElement[str]:
    return functools.reduce(lambda a, b: a.concat(b), (type_coerce(p, Text) for p in parts))


def _xml_escaped(value: ColumnElement[Any], attribute: bool = False) -> ColumnElement[str]:
    text: ColumnElement[str] = cast(value, Text)
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = func.replace(text, char, entity)
    if attribute:
        text = func.replace(text, '"', "&quot;")
    return text


def _as_text(value: ColumnElement[Any], field: Field) -> ColumnElement[str]:
    """Write a value as XML Schema wants it (ISO dates, true/false, shortest exact numbers)."""
    if field.type == "datetime":
        return func.btrim(cast(func.to_json(value), Text), '"')
    return _xml_escaped(value)


def _json_value(value: ColumnElement[Any]) -> ColumnElement[str]:
    return func.coalesce(cast(func.to_json(value), Text), "null")


class Features:
    """One layer's features, as one caller may see them."""

    def __init__(self, session: Session, layer: Layer, ctx: LayerContext):
        self.session = session
        # Taken now, while the request's transaction is open: streams keep using it after the
        # handler has returned.
        self.connection = session.connection()
        self.layer = layer
        self.fields = layer.fields_for(ctx)
        self._fields = {f.name: f for f in self.fields}
        self.src = layer.select(session, ctx).subquery("src")
        self._geometries: dict[GmlGeometry, bytes] = {}

    # --- queries -------------------------------------------------------------------------------

    def field(self, name: str, locator: str = "") -> Field:
        """Return a visible field by name, or raise InvalidQuery as for any unknown name."""
        found = self._fields.get(name)
        if found is None:
            raise InvalidQuery(f"{self.layer.name} has no property {name}", locator)
        return found

    def validate(self, query: FeatureQuery) -> None:
        """Raise InvalidQuery now for anything a stream would only discover once started."""
        self._selected(query)
        for key in query.sort:
            self.field(key.field, "sortBy")
        if query.filter is not None:
            self._where(query.filter)

    def count(self, query: FeatureQuery) -> int:
        """Return how many features match the query's filter."""
        stmt = select(func.count()).select_from(self.src)
        if query.filter is not None:
            stmt = stmt.where(self._where(query.filter))
        return self.connection.execute(stmt).scalar_one()

    def extent(self) -> tuple[float, float, float, float] | None:
        """Return the layer's bounding box in EPSG:4326 (lon/lat), None when empty."""
        box = select(func.ST_Extent(self.src.c.geom).label("box")).subquery()
        corners = select(
            func.ST_XMin(box.c.box), func.ST_YMin(box.c.box),
            func.ST_XMax(box.c.box), func.ST_YMax(box.c.box),
        )  # fmt: skip
        row = self.connection.execute(corners).one()
        return None if row[0] is None else (row[0], row[1], row[2], row[3])

    def geojson(self, query: FeatureQuery) -> Iterator[Sequence[str]]:
        """Yield batches of GeoJSON Feature texts."""
        fields, with_geometry = self._selected(query)
        geometry = _text("null")
        if with_geometry:
            geom = self._output_geometry(query)
            if query.northing_first:
                geom = func.ST_FlipCoordinates(geom)
            geometry = func.coalesce(func.ST_AsGeoJSON(geom, query.crs.decimals, 0), "null")
        properties: list[ColumnElement[Any]] = []
        for i, f in enumerate(fields):
            key = _text(("{" if i == 0 else ",") + f'"{f.name}":')
            properties += [key, _json_value(self.src.c[f.name])]
        properties.append(_text("}" if fields else "{}"))
        parts = [
            _text('{"type":"Feature","id":'),
            _json_value(self.src.c[self.layer.id_field]),
            _text(',"geometry":'),
            geometry,
            _text(',"properties":'),
            *properties,
            _text("}"),
        ]
        yield from self._stream(self._paged(select(_concat(*parts)), query))

    def gml(self, query: FeatureQuery, style: GmlStyle) -> Iterator[Sequence[str]]:
        """Yield batches of GML 3 feature members, the attributes escaped by PostgreSQL."""
        fields, with_geometry = self._selected(query)
        p, name = style.prefix, self.layer.name
        id_value = _xml_escaped(self.src.c[self.layer.id_field], attribute=True)
        parts: list[ColumnElement[Any]] = [
            _text(f'<{style.member}><{p}:{name} gml:id="{name}.'),
            id_value,
            _text('">'),
        ]
        for f in fields:
            element = _concat(
                _text(f"<{p}:{f.name}>"), _as_text(self.src.c[f.name], f), _text(f"</{p}:{f.name}>")
            )
            parts.append(func.coalesce(element, ""))
        if with_geometry:
            options = (1 if style.long_srs_name else 0) | (16 if query.northing_first else 0)
            gml = func.ST_AsGML(3, self._output_geometry(query), query.crs.decimals, options, "gml")
            wrapped = _concat(_text(f"<{p}:{GEOMETRY}>"), gml, _text(f"</{p}:{GEOMETRY}>"))
            parts.append(func.coalesce(wrapped, ""))
        parts.append(_text(f"</{p}:{name}></{style.member}>\n"))
        yield from self._stream(self._paged(select(_concat(*parts)), query))

    def records(
        self, query: FeatureQuery, geometry: Literal["wkb", "wkt"] | None = "wkb"
    ) -> Iterator[Sequence[Row]]:
        """Yield batches of rows: the selected fields' values, then the geometry if asked."""
        fields, _ = self._selected(query)
        columns: list[ColumnElement[Any]] = [self.src.c[f.name] for f in fields]
        if geometry is not None:
            geom = self._output_geometry(query)
            if query.northing_first:
                geom = func.ST_FlipCoordinates(geom)
            columns.append(
                func.ST_AsBinary(geom)
                if geometry == "wkb"
                else func.ST_AsText(geom, query.crs.decimals)
            )
        yield from self._stream(self._paged(select(*columns), query), scalars=False)

    def bbox_of(self, envelope: Envelope) -> tuple[float, float, float, float]:
        """Return an envelope's bounds in EPSG:4326 (lon/lat)."""
        geom = self._envelope(envelope)
        stmt = select(
            func.ST_XMin(geom), func.ST_YMin(geom), func.ST_XMax(geom), func.ST_YMax(geom)
        )
        row = self.connection.execute(stmt).one()
        return (row[0], row[1], row[2], row[3])

    # --- SQL -----------------------------------------------------------------------------------

    def _selected(self, query: FeatureQuery) -> tuple[list[Field], bool]:
        if query.properties is None:
            return list(self.fields), True
        names = {n for n in query.properties if n != GEOMETRY}
        for name in names:
            self.field(name, "propertyName")
        return [f for f in self.fields if f.name in names], GEOMETRY in query.properties

    def _output_geometry(self, query: FeatureQuery) -> ColumnElement[Any]:
        geom = self.src.c.geom
        return geom if query.crs.srid == 4326 else func.ST_Transform(geom, query.crs.srid)

    def _paged(self, stmt: Select, query: FeatureQuery) -> Select:
        stmt = stmt.select_from(self.src)
        if query.filter is not None:
            stmt = stmt.where(self._where(query.filter))
        order = []
        for key in query.sort:
            column = self.src.c[self.field(key.field, "sortBy").name]
            # Empty values last either way, so that a descending sort starts with values.
            order.append((column.desc() if key.descending else column.asc()).nulls_last())
        # The id ends every ordering, so that pages never skip or repeat a feature.
        order.append(self.src.c[self.layer.id_field].asc())
        stmt = stmt.order_by(*order).offset(query.offset)
        # Always a LIMIT: it lets PostgreSQL write the features after sorting, not before.
        return stmt.limit(query.limit if query.limit is not None else 2**62)

    def _stream(self, stmt: Select, scalars: bool = True) -> Iterator[Sequence[Any]]:
        result = self.connection.execute(
            stmt.execution_options(stream_results=True, yield_per=BATCH)
        )
        # No finally-close: when a client goes away mid-stream, the cursor dies with the
        # request's transaction; closing it after that only logs a spurious error.
        rows = result.scalars() if scalars else result
        yield from rows.partitions(BATCH)

    def _where(self, node: Filter) -> ColumnElement[bool]:
        match node:
            case And(parts):
                return and_(*(self._where(p) for p in parts))
            case Or(parts):
                return or_(*(self._where(p) for p in parts))
            case Not(part):
                return not_(self._where(part))
            case Compare(prop, op, value, match_case):
                column, typed = self._column(prop), self._typed(prop, value)
                if not match_case and self.field(prop).type == "string":
                    column, typed = func.lower(column), func.lower(typed)
                return _OPERATORS[op](column, typed)
            case Like(prop, pattern, match_case):
                column = cast(self._column(prop), Text)
                if match_case:
                    return column.like(pattern, escape="\\")
                return column.ilike(pattern, escape="\\")
            case IsNull(prop):
                return self._column(prop).is_(None)
            case Between(prop, lower, upper):
                column = self._column(prop)
                return column.between(self._typed(prop, lower), self._typed(prop, upper))
            case ResourceIds(ids):
                values = [v for v in (self._id_value(i) for i in ids) if v is not None]
                return self.src.c[self.layer.id_field].in_(values) if values else false()
            case Spatial(op, geometry):
                return _SPATIAL[op](self.src.c.geom, self._geometry(geometry))
        raise InvalidQuery(f"unsupported filter {type(node).__name__}", "filter")

    def _column(self, prop: str) -> ColumnElement[Any]:
        return self.src.c[self.field(prop, "filter").name]

    def _typed(self, prop: str, value: str) -> Any:
        try:
            return convert(self.field(prop, "filter").type, value)
        except ValueError as exc:
            raise InvalidQuery(f"{value!r} is not a valid value of {prop}", "filter") from exc

    def _id_value(self, value: str) -> Any:
        try:
            return convert(self.layer.id.type, value)
        except ValueError:
            return None

    def _envelope(self, envelope: Envelope) -> ColumnElement[Any]:
        if envelope.srid not in SUPPORTED:
            raise InvalidQuery(f"EPSG:{envelope.srid} is not served", "bbox")
        e = envelope
        geom = func.ST_MakeEnvelope(e.minx, e.miny, e.maxx, e.maxy, e.srid)
        if e.srid == 4326:
            return geom
        # Densify first, so that the rectangle's edges stay where they were after reprojection.
        step = max(e.maxx - e.minx, e.maxy - e.miny) / 32 or 1.0
        return func.ST_Transform(func.ST_Segmentize(geom, step), 4326)

    def _geometry(self, geometry: Geometry) -> ColumnElement[Any]:
        if isinstance(geometry, Envelope):
            return self._envelope(geometry)
        if geometry not in self._geometries:
            self._geometries[geometry] = self._parse_gml(geometry)
        return func.ST_GeomFromEWKB(self._geometries[geometry])

    def _parse_gml(self, geometry: GmlGeometry) -> bytes:
        """Parse a GML geometry once, in a savepoint, so that bad GML is the client's error."""
        if geometry.srid not in SUPPORTED:
            raise InvalidQuery(f"EPSG:{geometry.srid} is not served", "filter")
        geom = func.ST_GeomFromGML(geometry.gml, geometry.srid)
        if geometry.swap:
            geom = func.ST_FlipCoordinates(geom)
        if geometry.srid != 4326:
            geom = func.ST_Transform(geom, 4326)
        try:
            with self.session.begin_nested():
                wkb = self.connection.execute(select(func.ST_AsEWKB(geom))).scalar()
        except DBAPIError as exc:
            raise InvalidQuery("the filter holds a geometry PostGIS cannot read", "filter") from exc
        if wkb is None:
            raise InvalidQuery("the filter holds an empty geometry", "filter")
        return bytes(wkb)


_OPERATORS: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}

_SPATIAL: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "intersects": func.ST_Intersects,
    "disjoint": lambda a, b: not_(func.ST_Intersects(a, b)),
    "within": func.ST_Within,
    "contains": func.ST_Contains,
    "touches": func.ST_Touches,
    "crosses": func.ST_Crosses,
    "overlaps": func.ST_Overlaps,
    "equals": func.ST_Equals,
}


def convert(kind: str, value: str) -> Any:
    """Turn a literal from a request into the Python value of a field type (ValueError if not)."""
    text = value.strip()
    if kind == "string":
        return value
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            return float(text)
    if kind == "number":
        return float(text)
    if kind == "boolean":
        lowered = text.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise ValueError(value)
    if kind == "date":
        return date.fromisoformat(text[:10])
    if kind == "datetime":
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    raise ValueError(kind)


def feature_collection(head: dict[str, Any], batches: Iterable[Sequence[str]]) -> Iterator[str]:
    """Wrap batches of GeoJSON Feature texts in a FeatureCollection whose members are `head`."""
    yield json.dumps(head)[:-1] + ',"features":['
    first = True
    for batch in batches:
        if batch:
            yield ("" if first else ",") + ",".join(batch)
            first = False
    yield "]}\n"
