"""Map layers: what each serves, who may see it, and the SQL its features come from.

A layer is a typed description plus a *source*: a function that, given who asks (and for which
survey wave, and which case-area run), returns a SQLAlchemy `select()` with one column per
field, named after the field, and the geometry as `geom` in EPSG:4326. Every door (WFS, OGC API
Features, vector tiles, exports) serves the same registry, so access rules are written once:

- a `restricted` layer exists only for analysts: for anyone else it is an unknown name;
- a source may answer differently per caller (suppressed values for the public, a published
  case-area run unless an analyst picks another), and a field marked `analysts_only` is hidden
  from everyone else.

Two registries exist: `REFERENCE` (served at /wfs, /ogc, /tiles, /exports) and `SURVEY`
(served at /surveys/{code}/..., in the wave's vintage). To add a survey layer, call
`SURVEY.add(Layer(...))` from the module that owns its tables; see README.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.census.models import Response, Survey
from app.census.tokens import Principal
from app.errors import NotFound
from app.geo.models import Comune, ComuniVintage

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


@dataclass(frozen=True)
class Field:
    """One attribute of a layer."""

    name: str
    type: FieldType
    description: str
    analysts_only: bool = False

    def __post_init__(self) -> None:
        if not NAME.match(self.name) or self.name == GEOMETRY:
            raise ValueError(f"bad field name {self.name!r}")


Source = Callable[[LayerContext], Select]
# Work a layer needs done in the database before its source is read (e.g. storing the current
# state's suppressed indicators); it runs in the request's transaction.
Prepare = Callable[[Session, LayerContext], None]


@dataclass(frozen=True)
class Layer:
    """A map layer: one geometry type, typed fields, an id giving a stable order, a source."""

    name: str
    title: str
    description: str
    geometry_type: GeometryType
    fields: tuple[Field, ...]
    source: Source = field(compare=False)
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

    def select(self, session: Session, ctx: LayerContext) -> Select:
        """Return the layer's features for this caller, after any preparation they need."""
        if self.prepare is not None:
            self.prepare(session, ctx)
        return self.source(ctx)

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
        """Register a function that lists layers found in the database (a decorator)."""
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


REFERENCE = Registry("reference")
SURVEY = Registry("survey")


# --- comuni ------------------------------------------------------------------------------------

COMUNE_FIELDS = (
    Field("code", "string", "6-digit ISTAT code of the comune."),
    Field("name", "string", "Name of the comune."),
    Field("province_code", "string", "ISTAT code of the province (3 digits)."),
    Field("province_name", "string", "Name of the province."),
    Field("province_acronym", "string", "Car-plate acronym of the province, e.g. FG."),
    Field("region_code", "string", "ISTAT code of the region (2 digits)."),
    Field("region_name", "string", "Name of the region."),
    Field("ripartizione_code", "integer", "ISTAT macro-area code, 1 to 5."),
    Field("ripartizione", "string", "Nord-ovest, Nord-est, Centro, Sud or Isole."),
    Field("population_2011", "integer", "Residents at the 2011 census (persons)."),
    Field("area_km2", "number", "Area on an equal-area projection (km²)."),
)


def comuni_select(vintage: int) -> Select:
    """Select the comuni of one vintage with the columns of COMUNE_FIELDS and `geom`."""
    columns = [getattr(Comune, f.name) for f in COMUNE_FIELDS]
    return select(*columns, Comune.geom).where(Comune.vintage == vintage)


@lru_cache
def comuni_layer(vintage: int) -> Layer:
    """Return the public reference layer of one boundary vintage."""
    return Layer(
        name=f"comuni_{vintage}",
        title=f"Comuni {vintage}",
        description=f"ISTAT boundaries of the Italian comuni, vintage {vintage}.",
        geometry_type="MultiPolygon",
        fields=COMUNE_FIELDS,
        source=lambda ctx: comuni_select(vintage),
        id_field="code",
    )


@REFERENCE.discover
def _vintage_layers(session: Session, ctx: LayerContext) -> list[Layer]:
    vintages = session.scalars(select(ComuniVintage.vintage).order_by(ComuniVintage.vintage))
    return [comuni_layer(v) for v in vintages]


# The wave's comuni with their response status: whether each answered, and whether it reported
# foreign agri-food workers (both counts of comuni, published as they are).
WAVE_COMUNI_FIELDS = COMUNE_FIELDS + (
    Field("responded", "boolean", "The comune answered this wave."),
    Field("workers_present", "boolean", "It reported foreign agri-food workers (null: no answer)."),
)


def _wave_comuni(ctx: LayerContext) -> Select:
    assert ctx.survey is not None, "survey layers need a survey"
    answer = (
        select(Response.comune_code, Response.workers_present)
        .where(Response.survey_id == ctx.survey.id)
        .subquery("answer")
    )
    return (
        comuni_select(ctx.survey.vintage)
        .add_columns(
            answer.c.comune_code.is_not(None).label("responded"),
            answer.c.workers_present.label("workers_present"),
        )
        .outerjoin(answer, answer.c.comune_code == Comune.code)
    )


SURVEY.add(
    Layer(
        name="comuni",
        title="Comuni of the wave",
        description="The comuni of the wave's boundary vintage.",
        geometry_type="MultiPolygon",
        fields=WAVE_COMUNI_FIELDS,
        source=_wave_comuni,
        id_field="code",
    )
)
