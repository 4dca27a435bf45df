"""The coordinate reference systems the map layers are served in, and how clients name them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from app.errors import UnknownCrs


@dataclass(frozen=True)
class Crs:
    """A served CRS: its EPSG code, whether its authority puts northing first, its precision."""

    srid: int
    title: str
    # EPSG:4326 is latitude/longitude and EPSG:3035 northing/easting by their authority; the
    # urn and http names of a CRS imply that order, the short "EPSG:n" names do not.
    northing_first: bool
    # Decimals written in output: 6 for degrees (about 0.1 m), 2 for metres (1 cm). Both are
    # finer than the 1:10,000-scale ISTAT boundaries, and keep the responses small.
    decimals: int

    @property
    def urn(self) -> str:
        return f"urn:ogc:def:crs:EPSG::{self.srid}"

    @property
    def uri(self) -> str:
        return f"http://www.opengis.net/def/crs/EPSG/0/{self.srid}"

    @property
    def short(self) -> str:
        return f"EPSG:{self.srid}"


WGS84 = Crs(4326, "WGS 84", True, 6)
SUPPORTED: dict[int, Crs] = {
    c.srid: c
    for c in (
        WGS84,
        Crs(3857, "WGS 84 / Pseudo-Mercator", False, 2),
        Crs(32632, "WGS 84 / UTM zone 32N", False, 2),
        Crs(32633, "WGS 84 / UTM zone 33N", False, 2),
        Crs(3035, "ETRS89-extended / LAEA Europe", True, 2),
    )
}
CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


class CrsForm(Enum):
    """How a client spelled a CRS; the spelling decides the axis order."""

    SHORT = "short"  # EPSG:4326, and http://www.opengis.net/gml/srs/epsg.xml#4326
    URN = "urn"  # urn:ogc:def:crs:EPSG::4326, urn:x-ogc:def:crs:EPSG:4326
    URI = "uri"  # http://www.opengis.net/def/crs/EPSG/0/4326
    CRS84 = "crs84"  # OGC CRS84: WGS 84 in longitude/latitude order


@dataclass(frozen=True)
class CrsRef:
    """A CRS as a client named it."""

    crs: Crs
    form: CrsForm

    @property
    def northing_first(self) -> bool:
        """Say whether coordinates come latitude (northing) first under this name."""
        return self.crs.northing_first and self.form in (CrsForm.URN, CrsForm.URI)

    @property
    def srid(self) -> int:
        return self.crs.srid


_EPSG = (
    (re.compile(r"^epsg:(\d+)$", re.I), CrsForm.SHORT),
    (re.compile(r"^https?://www\.opengis\.net/gml/srs/epsg\.xml#(\d+)$", re.I), CrsForm.SHORT),
    (re.compile(r"^urn:(?:x-)?ogc:def:crs:epsg:[\d.]*:(\d+)$", re.I), CrsForm.URN),
    (re.compile(r"^urn:x-ogc:def:crs:epsg:(\d+)$", re.I), CrsForm.URN),
    (re.compile(r"^https?://www\.opengis\.net/def/crs/epsg/[\d.]+/(\d+)$", re.I), CrsForm.URI),
)
_CRS84 = re.compile(
    r"^(?:https?://www\.opengis\.net/def/crs/ogc/1\.3/crs84|urn:ogc:def:crs:ogc:(?:1\.3)?:crs84"
    r"|crs:84|ogc:crs84)$",
    re.I,
)


def parse_crs(name: str) -> CrsRef:
    """Return the served CRS a name denotes, with its spelling; raise UnknownCrs otherwise."""
    text = name.strip()
    if _CRS84.match(text):
        return CrsRef(WGS84, CrsForm.CRS84)
    for pattern, form in _EPSG:
        match = pattern.match(text)
        if match:
            crs = SUPPORTED.get(int(match.group(1)))
            if crs is None:
                break
            return CrsRef(crs, form)
    raise UnknownCrs(f"CRS {name} is not served; use one of EPSG {sorted(SUPPORTED)}")
