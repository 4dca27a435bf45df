"""GetCapabilities documents for WFS 2.0.0 and 1.1.0."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from app.api.wfs.fes import COMPARISONS, SPATIAL
from app.api.wfs.model import (
    GML_FORMATS,
    GML_NS,
    JSON_FORMATS,
    NAMESPACE,
    PREFIX,
    VERSIONS,
    WFS_NS,
    WFS_SCHEMA,
)
from app.geo.layers.crs import SUPPORTED
from app.geo.layers.registry import Layer

OWS = {"2.0.0": "http://www.opengis.net/ows/1.1", "1.1.0": "http://www.opengis.net/ows"}
FES = {"2.0.0": "http://www.opengis.net/fes/2.0", "1.1.0": "http://www.opengis.net/ogc"}
XLINK = "http://www.w3.org/1999/xlink"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

# What WFS 2.0 and FES 2.0 ask a server to declare, and what this one implements.
WFS_CONSTRAINTS = {
    "ImplementsBasicWFS": False,
    "ImplementsTransactionalWFS": False,
    "ImplementsLockingWFS": False,
    "KVPEncoding": True,
    "XMLEncoding": True,
    "SOAPEncoding": False,
    "ImplementsInheritance": False,
    "ImplementsRemoteResolve": False,
    "ImplementsResultPaging": True,
    "ImplementsStandardJoins": False,
    "ImplementsSpatialJoins": False,
    "ImplementsTemporalJoins": False,
    "ImplementsFeatureVersioning": False,
    "ManageStoredQueries": False,
}
FES_CONSTRAINTS = {
    "ImplementsQuery": True,
    "ImplementsAdHocQuery": True,
    "ImplementsFunctions": False,
    "ImplementsResourceId": True,
    "ImplementsMinStandardFilter": True,
    "ImplementsStandardFilter": True,
    "ImplementsMinSpatialFilter": True,
    "ImplementsSpatialFilter": True,
    "ImplementsMinTemporalFilter": False,
    "ImplementsTemporalFilter": False,
    "ImplementsVersionNav": False,
    "ImplementsSorting": True,
    "ImplementsExtendedOperators": False,
    "ImplementsMinimumXPath": False,
    "ImplementsSchemaElementFunc": False,
}
GEOMETRY_OPERANDS = ("Envelope", "Point", "LineString", "Polygon", "MultiPoint", "MultiSurface")
# WFS 1.1 (Filter 1.1) names the comparison operators without the PropertyIs prefix.
COMPARISONS_11 = (
    "LessThan", "GreaterThan", "LessThanEqualTo", "GreaterThanEqualTo", "EqualTo",
    "NotEqualTo", "Like", "Between", "NullCheck",
)  # fmt: skip


@dataclass(frozen=True)
class Offering:
    """A layer as capabilities list it, with its WGS 84 extent (lon/lat) when known."""

    layer: Layer
    extent: tuple[float, float, float, float] | None


class _Doc:
    def __init__(self, version: str):
        self.version = version
        self.ows, self.wfs, self.fes = OWS[version], WFS_NS[version], FES[version]

    def el(self, parent: etree._Element, ns: str, tag: str, text: str | None = None, **attrs):
        element = etree.SubElement(parent, f"{{{ns}}}{tag}", dict(attrs))
        if text is not None:
            element.text = text
        return element

    def values(self, parent: etree._Element, name: str, values: Sequence[str]) -> None:
        parameter = self.el(parent, self.ows, "Parameter", name=name)
        allowed = self.el(parameter, self.ows, "AllowedValues") if self.version == "2.0.0" else None
        for value in values:
            self.el(allowed if allowed is not None else parameter, self.ows, "Value", value)

    def constraint(self, parent: etree._Element, ns: str, name: str, value: str) -> None:
        constraint = self.el(parent, ns, "Constraint", name=name)
        self.el(constraint, self.ows, "NoValues")
        self.el(constraint, self.ows, "DefaultValue", value)


def capabilities(version: str, url: str, title: str, offerings: Sequence[Offering]) -> bytes:
    """Write the capabilities document of one WFS endpoint."""
    doc = _Doc(version)
    nsmap = {
        "wfs": doc.wfs,
        "ows": doc.ows,
        "fes" if version == "2.0.0" else "ogc": doc.fes,
        "gml": GML_NS[version],
        "xlink": XLINK,
        "xsi": XSI,
        PREFIX: NAMESPACE,
    }
    root = etree.Element(f"{{{doc.wfs}}}WFS_Capabilities", nsmap=nsmap, version=version)
    root.set(f"{{{XSI}}}schemaLocation", f"{doc.wfs} {WFS_SCHEMA[version]}")
    _service(doc, root, title)
    _operations(doc, root, url)
    _feature_types(doc, root, offerings)
    _filter_capabilities(doc, root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _service(doc: _Doc, root: etree._Element, title: str) -> None:
    ident = doc.el(root, doc.ows, "ServiceIdentification")
    doc.el(ident, doc.ows, "Title", title)
    doc.el(
        ident,
        doc.ows,
        "Abstract",
        "Map layers of the INCAS census of where foreign agri-food workers live in Italy. "
        "Anonymous callers see public layers; analysts authenticate with their token "
        "(Authorization: Bearer, or HTTP Basic with the token as password).",
    )
    doc.el(ident, doc.ows, "ServiceType", "WFS")
    for version in VERSIONS if doc.version == "2.0.0" else (doc.version,):
        doc.el(ident, doc.ows, "ServiceTypeVersion", version)
    doc.el(ident, doc.ows, "Fees", "NONE")
    doc.el(ident, doc.ows, "AccessConstraints", "Restricted layers: analysts only")
    provider = doc.el(root, doc.ows, "ServiceProvider")
    doc.el(provider, doc.ows, "ProviderName", "incas-census")


def _operations(doc: _Doc, root: etree._Element, url: str) -> None:
    metadata = doc.el(root, doc.ows, "OperationsMetadata")
    formats = [*GML_FORMATS[doc.version], *JSON_FORMATS]
    for name in ("GetCapabilities", "DescribeFeatureType", "GetFeature"):
        operation = doc.el(metadata, doc.ows, "Operation", name=name)
        http = doc.el(doc.el(operation, doc.ows, "DCP"), doc.ows, "HTTP")
        doc.el(http, doc.ows, "Get", **{f"{{{XLINK}}}href": url + "?"})
        doc.el(http, doc.ows, "Post", **{f"{{{XLINK}}}href": url})
        if name == "GetCapabilities":
            doc.values(operation, "AcceptVersions", VERSIONS)
            doc.values(operation, "AcceptFormats", ["text/xml"])
        elif name == "DescribeFeatureType":
            doc.values(operation, "outputFormat", GML_FORMATS[doc.version][:1])
        else:
            doc.values(operation, "resultType", ["results", "hits"])
            doc.values(operation, "outputFormat", formats)
    if doc.version == "2.0.0":
        doc.values(metadata, "version", VERSIONS)
        for constraint, value in WFS_CONSTRAINTS.items():
            doc.constraint(metadata, doc.ows, constraint, "TRUE" if value else "FALSE")


def _feature_types(doc: _Doc, root: etree._Element, offerings: Sequence[Offering]) -> None:
    type_list = doc.el(root, doc.wfs, "FeatureTypeList")
    if doc.version == "1.1.0":
        doc.el(doc.el(type_list, doc.wfs, "Operations"), doc.wfs, "Operation", "Query")
    crs_tag = "CRS" if doc.version == "2.0.0" else "SRS"
    for offering in offerings:
        layer = offering.layer
        # QGIS reads the namespace of a prefixed type name from the FeatureType element itself.
        feature_type = etree.SubElement(
            type_list, f"{{{doc.wfs}}}FeatureType", nsmap={PREFIX: NAMESPACE}
        )
        doc.el(feature_type, doc.wfs, "Name", f"{PREFIX}:{layer.name}")
        doc.el(feature_type, doc.wfs, "Title", layer.title)
        doc.el(feature_type, doc.wfs, "Abstract", layer.description)
        for i, crs in enumerate(SUPPORTED.values()):
            doc.el(feature_type, doc.wfs, ("Default" if i == 0 else "Other") + crs_tag, crs.urn)
        formats = doc.el(feature_type, doc.wfs, "OutputFormats")
        for output in (*GML_FORMATS[doc.version], *JSON_FORMATS):
            doc.el(formats, doc.wfs, "Format", output)
        if offering.extent is not None:
            box = doc.el(feature_type, doc.ows, "WGS84BoundingBox")
            minx, miny, maxx, maxy = offering.extent
            doc.el(box, doc.ows, "LowerCorner", f"{minx:.6f} {miny:.6f}")
            doc.el(box, doc.ows, "UpperCorner", f"{maxx:.6f} {maxy:.6f}")


def _filter_capabilities(doc: _Doc, root: etree._Element) -> None:
    caps = doc.el(root, doc.fes, "Filter_Capabilities")
    if doc.version == "2.0.0":
        conformance = doc.el(caps, doc.fes, "Conformance")
        for name, value in FES_CONSTRAINTS.items():
            doc.constraint(conformance, doc.fes, name, "TRUE" if value else "FALSE")
        ids = doc.el(caps, doc.fes, "Id_Capabilities")
        doc.el(ids, doc.fes, "ResourceIdentifier", name="fes:ResourceId")
        scalar = doc.el(caps, doc.fes, "Scalar_Capabilities")
        doc.el(scalar, doc.fes, "LogicalOperators")
        comparisons = doc.el(scalar, doc.fes, "ComparisonOperators")
        for name in (*COMPARISONS, "PropertyIsLike", "PropertyIsNull", "PropertyIsBetween"):
            doc.el(comparisons, doc.fes, "ComparisonOperator", name=name)
        spatial = doc.el(caps, doc.fes, "Spatial_Capabilities")
        operands = doc.el(spatial, doc.fes, "GeometryOperands")
        for name in GEOMETRY_OPERANDS:
            doc.el(operands, doc.fes, "GeometryOperand", name=f"gml:{name}")
        operators = doc.el(spatial, doc.fes, "SpatialOperators")
        for name in ("BBOX", *SPATIAL):
            doc.el(operators, doc.fes, "SpatialOperator", name=name)
        return
    spatial = doc.el(caps, doc.fes, "Spatial_Capabilities")
    operands = doc.el(spatial, doc.fes, "GeometryOperands")
    for name in GEOMETRY_OPERANDS:
        doc.el(operands, doc.fes, "GeometryOperand", f"gml:{name}")
    operators = doc.el(spatial, doc.fes, "SpatialOperators")
    for name in ("BBOX", *SPATIAL):
        doc.el(operators, doc.fes, "SpatialOperator", name=name)
    scalar = doc.el(caps, doc.fes, "Scalar_Capabilities")
    doc.el(scalar, doc.fes, "LogicalOperators")
    comparisons = doc.el(scalar, doc.fes, "ComparisonOperators")
    for name in COMPARISONS_11:
        doc.el(comparisons, doc.fes, "ComparisonOperator", name)
    ids = doc.el(caps, doc.fes, "Id_Capabilities")
    doc.el(ids, doc.fes, "EID")
    doc.el(ids, doc.fes, "FID")
