"""WFS requests as typed values, whether they came as KVP or as XML, and per-version constants."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from app.api.deps import MAX_INT
from app.api.wfs.exceptions import OwsException, invalid
from app.errors import UnknownCrs
from app.geo.layers.crs import WGS84, CrsForm, CrsRef, parse_crs
from app.geo.layers.features import SortKey
from app.geo.layers.filters import Filter

VERSIONS = ("2.0.0", "1.1.0")
NAMESPACE = "urn:incas-census:layers"
PREFIX = "incas"
MAX_COUNT = 1_000_000

WFS_NS = {"2.0.0": "http://www.opengis.net/wfs/2.0", "1.1.0": "http://www.opengis.net/wfs"}
GML_NS = {"2.0.0": "http://www.opengis.net/gml/3.2", "1.1.0": "http://www.opengis.net/gml"}
GML_SCHEMA = {
    "2.0.0": "http://schemas.opengis.net/gml/3.2.1/gml.xsd",
    "1.1.0": "http://schemas.opengis.net/gml/3.1.1/base/gml.xsd",
}
WFS_SCHEMA = {
    "2.0.0": "http://schemas.opengis.net/wfs/2.0/wfs.xsd",
    "1.1.0": "http://schemas.opengis.net/wfs/1.1.0/wfs.xsd",
}

# The formats each version writes; the first is the default. Keys are lower case, no spaces.
GML_FORMATS = {
    "2.0.0": ("application/gml+xml; version=3.2", "text/xml; subtype=gml/3.2"),
    "1.1.0": ("text/xml; subtype=gml/3.1.1",),
}
JSON_FORMATS = ("application/json", "application/geo+json")
_GML_ALIASES = {
    "2.0.0": {"gml32", "gml3", "text/xml;subtype=gml/3.2.1", "application/gml+xml;version=3.2"},
    "1.1.0": {"gml3", "gml311", "text/xml", "text/xml;subtype=gml/3.1.1"},
}
_JSON_ALIASES = {"json", "geojson", "application/json;subtype=geojson"}

OutputKind = Literal["gml", "json"]


def output_kind(version: str, requested: str | None) -> OutputKind:
    """Say whether an OUTPUTFORMAT asks for GML or GeoJSON; raise for anything else."""
    if requested is None:
        return "gml"
    key = requested.replace(" ", "").lower()
    if key in {f.replace(" ", "") for f in JSON_FORMATS} | _JSON_ALIASES:
        return "json"
    if key in {f.replace(" ", "") for f in GML_FORMATS[version]} | _GML_ALIASES[version]:
        return "gml"
    raise invalid("outputFormat", f"output format {requested} is not offered")


def crs_ref(value: str | None, locator: str) -> CrsRef:
    """Parse a CRS name; without one, the default: EPSG:4326 in its urn form (lat/lon)."""
    if not value:
        return CrsRef(WGS84, CrsForm.URN)
    try:
        return parse_crs(value)
    except UnknownCrs as exc:
        raise invalid(locator, exc.message) from exc


def type_name(value: str) -> str:
    """Strip a namespace prefix or Clark-notation namespace from a type or property name."""
    name = value.strip()
    if name.startswith("{"):
        name = name.partition("}")[2]
    if "/" in name:
        name = name.rsplit("/", 1)[1]
    return name.rpartition(":")[2]


@dataclass
class Query:
    """One query of a GetFeature: a type, and what to take of it."""

    type_name: str
    srs: CrsRef = field(default_factory=lambda: crs_ref(None, "srsName"))
    property_names: tuple[str, ...] | None = None
    filter: Filter | None = None
    sort: tuple[SortKey, ...] = ()


@dataclass
class GetCapabilities:
    version: str


@dataclass
class DescribeFeatureType:
    version: str
    type_names: tuple[str, ...] = ()
    output_format: str | None = None


@dataclass
class GetFeature:
    version: str
    queries: list[Query]
    count: int | None = None
    start_index: int = 0
    hits: bool = False
    output_format: str | None = None
    run: int | None = None


WfsRequest = GetCapabilities | DescribeFeatureType | GetFeature


# Operations of WFS 2.0 and 1.1 this service does not offer: 501, as OWS Common says. Any other
# name is not a WFS operation at all, and the client's mistake: 400.
UNOFFERED = {
    "getpropertyvalue", "getfeaturewithlock", "lockfeature", "transaction", "liststoredqueries",
    "describestoredqueries", "createstoredquery", "dropstoredquery", "getgmlobject",
}  # fmt: skip


def unsupported(operation: str) -> OwsException:
    """Refuse an operation: 501 for a WFS operation not offered, 400 for any other name."""
    if operation.lower() in UNOFFERED:
        return OwsException(
            "OperationNotSupported", f"operation {operation} is not supported", "request"
        )
    return invalid("request", f"{operation} is not a WFS operation")


def negotiate(accept_versions: str | None, version: str | None) -> str:
    """Pick the version of a GetCapabilities: the first accepted one we speak."""
    if accept_versions:
        for candidate in accept_versions.split(","):
            if candidate.strip() in VERSIONS:
                return candidate.strip()
        raise OwsException(
            "VersionNegotiationFailed",
            f"none of {accept_versions} is spoken here; use one of {', '.join(VERSIONS)}",
            "AcceptVersions",
        )
    if version and version.strip() in VERSIONS:
        return version.strip()
    return VERSIONS[0]


def request_version(version: str | None) -> str:
    """Check the VERSION of an operation other than GetCapabilities (2.0.0 when absent)."""
    if version is None or not version.strip():
        # Browsers and scripts often leave it out; the newest version is the useful guess.
        return VERSIONS[0]
    value = version.strip()
    if value == "2.0.2":
        return "2.0.0"
    if value not in VERSIONS:
        raise invalid("version", f"version {value} is not spoken here; use 2.0.0 or 1.1.0")
    return value


def positive_int(
    value: str | None, locator: str, minimum: int = 0, maximum: int = MAX_INT
) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError as exc:
        raise invalid(locator, f"{locator} must be an integer, not {value!r}") from exc
    if not minimum <= number <= maximum:
        raise invalid(locator, f"{locator} must be between {minimum} and {maximum}")
    return number
