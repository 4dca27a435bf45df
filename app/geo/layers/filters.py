"""Feature filters as a small tree, independent of the protocol that spelled them.

FES (WFS), OGC API query parameters and REST all parse into these nodes; `features.py` compiles
them to SQL on a layer's columns, with bound parameters only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Comparator = Literal["=", "<>", "<", "<=", ">", ">="]
SpatialOp = Literal[
    "intersects", "disjoint", "within", "contains", "touches", "crosses", "overlaps", "equals"
]


@dataclass(frozen=True)
class Envelope:
    """A rectangle in a served CRS, x (easting, longitude) first."""

    minx: float
    miny: float
    maxx: float
    maxy: float
    srid: int = 4326

    def __post_init__(self) -> None:
        if not (self.minx <= self.maxx and self.miny <= self.maxy):
            raise ValueError("the lower corner must be below and left of the upper corner")


@dataclass(frozen=True)
class GmlGeometry:
    """A GML geometry (without srsName), in a served CRS; `swap` when it is northing first."""

    gml: str
    srid: int
    swap: bool = False


Geometry = Envelope | GmlGeometry


@dataclass(frozen=True)
class Compare:
    prop: str
    op: Comparator
    value: str
    match_case: bool = True


@dataclass(frozen=True)
class Like:
    """SQL LIKE: `%` any run, `_` one character, `\\` escapes."""

    prop: str
    pattern: str
    match_case: bool = True


@dataclass(frozen=True)
class IsNull:
    prop: str


@dataclass(frozen=True)
class Between:
    prop: str
    lower: str
    upper: str


@dataclass(frozen=True)
class Spatial:
    """A spatial predicate between the layer's geometry and a literal geometry."""

    op: SpatialOp
    geometry: Geometry


@dataclass(frozen=True)
class ResourceIds:
    """Features whose id is one of these (ids without the layer prefix)."""

    ids: tuple[str, ...]


@dataclass(frozen=True)
class And:
    parts: tuple[Filter, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Filter, ...]


@dataclass(frozen=True)
class Not:
    part: Filter


Filter = Compare | Like | IsNull | Between | Spatial | ResourceIds | And | Or | Not


def all_of(*parts: Filter | None) -> Filter | None:
    """Combine the filters that are present with And."""
    present = tuple(p for p in parts if p is not None)
    if not present:
        return None
    return present[0] if len(present) == 1 else And(present)
