"""Map layers: what each serves, who may see it, and the SQL its features come from.

A layer is a typed description whose fields say, each, what they select. Its `rows` give the
FROM, joins and conditions for a caller (and a survey wave, and a case-area run); the layer's
`select()` adds one column per field, named after it, and the geometry as `geom` in EPSG:4326.
Every door (WFS, OGC API Features, vector tiles, exports) serves the same registries, so access
rules are written once:

- a `restricted` layer exists only for analysts: for anyone else it is an unknown name;
- a field's SQL may depend on the caller (suppressed values for the public), rows may too (a
  published case-area run unless an analyst picks another), and a field marked `analysts_only`
  is hidden from everyone else.

The registries and the layers in them are the catalogue's (`app.geo.layers.catalogue`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select
from sqlalchemy.orm import QueryableAttribute, Session

from app.census.models import Survey
from app.census.tokens import Principal
from app.errors import NotFound

FieldType = Literal["string", "integer", "number", "boolean", "date", "datetime"]
GeometryType = Literal[
    "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"
]
# Layer and field names become XML element names, JSON keys and SQL labels: keep them plain.
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
GEOMETRY = "geom"


class UnknownLayer(NotFound):
    """No such layer for this caller. A layer the caller may not see is unknown too."""

    code = "unknown_layer"

    def __init__(self, name: str):
        super().__init__(f"layer {name} does not exist", layer=name)
        self.name = name


@dataclass(frozen=True)
class LayerContext:
    """Who asks, and what for: the caller, the survey wave (None for reference data), the run."""

    principal: Principal | None = None
    survey: Survey | None = None
    run: int | None = None

    @property
    def is_analyst(self) -> bool:
        return self.principal is not None and self.principal.is_analyst

    @property
    def wave(self) -> Survey:
        """The survey wave of a survey layer."""
        assert self.survey is not None, "survey layers need a survey"
        return self.survey


# What a field selects: a column expression, or a function of the caller that returns one.
Expression = ColumnElement[Any] | QueryableAttribute[Any]
Sql = Expression | Callable[[LayerContext], Expression]


def _resolve(sql: Sql, ctx: LayerContext) -> Expression:
    return sql(ctx) if callable(sql) else sql


@dataclass(frozen=True)
class Field:
    """One attribute of a layer, and the SQL it comes from."""

    name: str
    type: FieldType
    description: str
    sql: Sql | None = field(default=None, compare=False, repr=False)
    analysts_only: bool = False

    def __post_init__(self) -> None:
        if not NAME.match(self.name) or self.name == GEOMETRY:
            raise ValueError(f"bad field name {self.name!r}")


# The FROM, joins and conditions of a layer's features for a caller: `select().select_from(...)`
# with no columns; the fields and the geometry add theirs.
Rows = Callable[[LayerContext], Select]
# Work a layer needs done in the database before its rows are read (e.g. storing the current
# state's suppressed indicators); it runs in the request's transaction.
Prepare = Callable[[Session, LayerContext], None]


@dataclass(frozen=True)
class Layer:
    """A map layer: one geometry type, typed fields, an id giving a stable order, its rows."""

    name: str
    title: str
    description: str
    geometry_type: GeometryType
    fields: tuple[Field, ...]
    rows: Rows = field(compare=False)
    geometry: Sql = field(compare=False)
    # Unique within the layer: the feature id, and the last sort key of every page.
    id_field: str = "id"
    restricted: bool = False
    prepare: Prepare | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not NAME.match(self.name):
            raise ValueError(f"bad layer name {self.name!r}")
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"layer {self.name} repeats a field name")
        if self.id_field not in names:
            raise ValueError(f"layer {self.name} has no field {self.id_field}")
        if missing := [f.name for f in self.fields if f.sql is None]:
            raise ValueError(f"layer {self.name}: fields without SQL: {', '.join(missing)}")

    def select(self, session: Session, ctx: LayerContext) -> Select:
        """Return the layer's features for this caller, after any preparation they need."""
        if self.prepare is not None:
            self.prepare(session, ctx)
        columns = [_resolve(f.sql, ctx).label(f.name) for f in self.fields]  # type: ignore[arg-type]
        return self.rows(ctx).add_columns(*columns, _resolve(self.geometry, ctx).label(GEOMETRY))

    def visible_to(self, ctx: LayerContext) -> bool:
        return ctx.is_analyst or not self.restricted

    def fields_for(self, ctx: LayerContext) -> tuple[Field, ...]:
        """Return the fields this caller may see, in order."""
        if ctx.is_analyst:
            return self.fields
        return tuple(f for f in self.fields if not f.analysts_only)

    @property
    def id(self) -> Field:
        return next(f for f in self.fields if f.name == self.id_field)


Discovery = Callable[[Session, LayerContext], Iterable[Layer]]


class Registry:
    """The layers one kind of endpoint serves: fixed ones, and ones found in the database."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._layers: dict[str, Layer] = {}
        self._discoveries: list[Discovery] = []

    def add(self, layer: Layer) -> Layer:
        """Register a layer; its name must be new."""
        if layer.name in self._layers:
            raise ValueError(f"{self.name} layer {layer.name} is already registered")
        self._layers[layer.name] = layer
        return layer

    def remove(self, name: str) -> None:
        self._layers.pop(name, None)

    def discover(self, discovery: Discovery) -> Discovery:
        """Register a function that lists layers found in the database."""
        self._discoveries.append(discovery)
        return discovery

    def _all(self, session: Session, ctx: LayerContext) -> dict[str, Layer]:
        layers: dict[str, Layer] = {}
        for discovery in self._discoveries:
            layers.update((layer.name, layer) for layer in discovery(session, ctx))
        layers.update(self._layers)
        return layers

    def visible(self, session: Session, ctx: LayerContext) -> list[Layer]:
        """Return the layers this caller may see, by name."""
        layers = self._all(session, ctx).values()
        return sorted((x for x in layers if x.visible_to(ctx)), key=lambda x: x.name)

    def find(self, session: Session, ctx: LayerContext, name: str) -> Layer:
        """Return the layer, or raise UnknownLayer, the same way whether hidden or absent."""
        layer = self._all(session, ctx).get(name)
        if layer is None or not layer.visible_to(ctx):
            raise UnknownLayer(name)
        return layer
