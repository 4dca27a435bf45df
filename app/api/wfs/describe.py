"""DescribeFeatureType: an XML Schema of the feature types, with GML geometry property types."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from app.api.wfs.model import GML_NS, GML_SCHEMA, NAMESPACE, PREFIX
from app.geo.layers.registry import GEOMETRY, Field, Layer

XS = "http://www.w3.org/2001/XMLSchema"

XS_TYPES = {
    "string": "xsd:string",
    "integer": "xsd:int",
    "number": "xsd:double",
    "boolean": "xsd:boolean",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
}
# The property type of each geometry type, as PostGIS writes it in GML 3 (lines as
# gml:LineString, multi-lines as gml:MultiCurve, multi-polygons as gml:MultiSurface).
GEOMETRY_TYPES = {
    "Point": "gml:PointPropertyType",
    "MultiPoint": "gml:MultiPointPropertyType",
    "LineString": "gml:CurvePropertyType",
    "MultiLineString": "gml:MultiCurvePropertyType",
    "Polygon": "gml:SurfacePropertyType",
    "MultiPolygon": "gml:MultiSurfacePropertyType",
}


def schema(version: str, layers: Sequence[Layer], fields: dict[str, tuple[Field, ...]]) -> bytes:
    """Write one schema for these layers, each with the fields its caller may see."""
    gml = GML_NS[version]
    root = etree.Element(
        f"{{{XS}}}schema",
        nsmap={"xsd": XS, "gml": gml, PREFIX: NAMESPACE},
        targetNamespace=NAMESPACE,
        elementFormDefault="qualified",
        attributeFormDefault="unqualified",
        version="1.0",
    )
    etree.SubElement(root, f"{{{XS}}}import", namespace=gml, schemaLocation=GML_SCHEMA[version])
    feature = "gml:AbstractFeature" if version == "2.0.0" else "gml:_Feature"
    for layer in layers:
        etree.SubElement(
            root,
            f"{{{XS}}}element",
            name=layer.name,
            type=f"{PREFIX}:{layer.name}Type",
            substitutionGroup=feature,
        )
        complex_type = etree.SubElement(root, f"{{{XS}}}complexType", name=f"{layer.name}Type")
        content = etree.SubElement(complex_type, f"{{{XS}}}complexContent")
        extension = etree.SubElement(content, f"{{{XS}}}extension", base="gml:AbstractFeatureType")
        sequence = etree.SubElement(extension, f"{{{XS}}}sequence")
        for f in fields[layer.name]:
            _element(sequence, f.name, XS_TYPES[f.type], nillable=f.name != layer.id_field)
        _element(sequence, GEOMETRY, GEOMETRY_TYPES[layer.geometry_type], nillable=True)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _element(parent: etree._Element, name: str, type_: str, nillable: bool) -> None:
    etree.SubElement(
        parent,
        f"{{{XS}}}element",
        name=name,
        type=type_,
        minOccurs="0" if nillable else "1",
        maxOccurs="1",
        nillable="true" if nillable else "false",
    )
