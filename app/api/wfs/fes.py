"""Filter Encoding (FES 2.0, and OGC Filter 1.1 for WFS 1.1) into the domain's filter tree.

Element names are matched by their local name, so both namespaces read the same. Axis order
follows the CRS names: urn and http names of EPSG:4326 are latitude first, EPSG:n is not.
"""

from __future__ import annotations

import copy

from lxml import etree

from app.api.wfs.exceptions import OwsException, invalid
from app.api.wfs.model import crs_ref, type_name
from app.geo.layers.crs import CrsRef
from app.geo.layers.features import SortKey
from app.geo.layers.filters import (
    And,
    Between,
    Compare,
    Envelope,
    Filter,
    GmlGeometry,
    IsNull,
    Like,
    Not,
    Or,
    ResourceIds,
    Spatial,
)
from app.geo.layers.registry import GEOMETRY

COMPARISONS = {
    "PropertyIsEqualTo": "=",
    "PropertyIsNotEqualTo": "<>",
    "PropertyIsLessThan": "<",
    "PropertyIsLessThanOrEqualTo": "<=",
    "PropertyIsGreaterThan": ">",
    "PropertyIsGreaterThanOrEqualTo": ">=",
}
# The same comparison with its operands swapped (a literal first, the property second).
SWAPPED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
SPATIAL = {
    "Intersects": "intersects",
    "Disjoint": "disjoint",
    "Within": "within",
    "Contains": "contains",
    "Touches": "touches",
    "Crosses": "crosses",
    "Overlaps": "overlaps",
    "Equals": "equals",
}
GEOMETRY_OPERANDS = (
    "Envelope", "Point", "MultiPoint", "LineString", "MultiLineString", "Curve", "MultiCurve",
    "Polygon", "MultiPolygon", "Surface", "MultiSurface",
)  # fmt: skip
ID_ELEMENTS = {"ResourceId": "rid", "FeatureId": "fid", "GmlObjectId": "id"}


def local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _children(element: etree._Element) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str)]


def _bad(message: str) -> OwsException:
    return invalid("filter", message)


def parse_filter(element: etree._Element, layer: str, default_srs: CrsRef) -> Filter:
    """Turn a <Filter> element into a filter on `layer`."""
    if local(element) != "Filter":
        raise _bad(f"expected a Filter element, found {local(element)}")
    children = _children(element)
    if not children:
        raise _bad("the filter is empty")
    if all(local(c) in ID_ELEMENTS for c in children):
        return resource_ids([_id_of(c) for c in children], layer)
    if len(children) != 1:
        raise _bad("a filter holds one operator; combine several with And or Or")
    return _Parser(default_srs, layer).parse(children[0])


def resource_ids(rids: list[str], layer: str) -> ResourceIds:
    """Keep the ids of features of `layer` (written `layer.id`), without the prefix."""
    ids = []
    for rid in rids:
        prefix, dot, ident = rid.strip().partition(".")
        if dot and prefix == layer:
            ids.append(ident)
    return ResourceIds(tuple(ids))


def _id_of(element: etree._Element) -> str:
    attribute = ID_ELEMENTS[local(element)]
    for key, value in element.attrib.items():
        if etree.QName(key).localname == attribute:
            return value
    raise _bad(f"{local(element)} needs its {attribute} attribute")


class _Parser:
    def __init__(self, default_srs: CrsRef, layer: str):
        self.default_srs = default_srs
        self.layer = layer

    def parse(self, element: etree._Element) -> Filter:
        tag = local(element)
        children = _children(element)
        if tag in ("And", "Or"):
            if len(children) < 2:
                raise _bad(f"{tag} needs at least two operands")
            parts = tuple(self.parse(c) for c in children)
            return And(parts) if tag == "And" else Or(parts)
        if tag == "Not":
            if len(children) != 1:
                raise _bad("Not takes one operand")
            return Not(self.parse(children[0]))
        if tag in COMPARISONS:
            return self._comparison(element, COMPARISONS[tag])
        if tag == "PropertyIsLike":
            return self._like(element)
        if tag in ("PropertyIsNull", "PropertyIsNil"):
            return IsNull(self._property(children, tag))
        if tag == "PropertyIsBetween":
            return self._between(element)
        if tag == "BBOX":
            return self._spatial(element, "intersects", bbox=True)
        if tag in SPATIAL:
            return self._spatial(element, SPATIAL[tag])
        if tag in ID_ELEMENTS:
            return resource_ids([_id_of(element)], self.layer)
        raise OwsException(
            "OperationProcessingFailed", f"filter operator {tag} is not supported", "filter"
        )

    def _property(self, children: list[etree._Element], operator: str) -> str:
        for child in children:
            if local(child) in ("ValueReference", "PropertyName"):
                name = type_name(child.text or "")
                if not name:
                    raise _bad(f"{operator} names an empty property")
                return name
        raise _bad(f"{operator} needs a ValueReference")

    def _literal(self, element: etree._Element, operator: str) -> str:
        if _children(element):
            raise _bad(f"{operator} takes a plain literal, not an expression or geometry")
        return element.text or ""

    def _comparison(self, element: etree._Element, op: str) -> Filter:
        children = _children(element)
        if len(children) != 2:
            raise _bad(f"{local(element)} takes a property and a literal")
        kinds = [local(c) for c in children]
        match_case = element.get("matchCase", "true").lower() != "false"
        if kinds[1] == "Literal" and kinds[0] in ("ValueReference", "PropertyName"):
            prop, value = self._property(children, local(element)), children[1]
        elif kinds[0] == "Literal" and kinds[1] in ("ValueReference", "PropertyName"):
            prop, value, op = self._property(children, local(element)), children[0], SWAPPED[op]
        else:
            raise _bad(f"{local(element)} compares a property with a literal only")
        return Compare(prop, op, self._literal(value, local(element)), match_case)  # type: ignore[arg-type]

    def _like(self, element: etree._Element) -> Filter:
        children = _children(element)
        literal = next((c for c in children if local(c) == "Literal"), None)
        if literal is None:
            raise _bad("PropertyIsLike needs a Literal")
        wild = element.get("wildCard", "*")
        single = element.get("singleChar", ".")
        escape = element.get("escapeChar", element.get("escape", "\\"))
        pattern = like_pattern(self._literal(literal, "PropertyIsLike"), wild, single, escape)
        match_case = element.get("matchCase", "true").lower() != "false"
        return Like(self._property(children, "PropertyIsLike"), pattern, match_case)

    def _between(self, element: etree._Element) -> Filter:
        children = _children(element)
        bounds = {}
        for child in children:
            if local(child) in ("LowerBoundary", "UpperBoundary"):
                literal = [c for c in _children(child) if local(c) == "Literal"]
                if len(literal) != 1:
                    raise _bad(f"{local(child)} holds one Literal")
                bounds[local(child)] = self._literal(literal[0], "PropertyIsBetween")
        if len(bounds) != 2:
            raise _bad("PropertyIsBetween needs a LowerBoundary and an UpperBoundary")
        prop = self._property(children, "PropertyIsBetween")
        return Between(prop, bounds["LowerBoundary"], bounds["UpperBoundary"])

    def _spatial(self, element: etree._Element, op: str, bbox: bool = False) -> Filter:
        children = _children(element)
        geometries = [c for c in children if local(c) in GEOMETRY_OPERANDS]
        references = [c for c in children if local(c) in ("ValueReference", "PropertyName")]
        if len(geometries) != 1:
            raise _bad(f"{local(element)} needs one GML geometry")
        for reference in references:
            if type_name(reference.text or "") != GEOMETRY:
                raise _bad(f"{local(element)} applies to the geometry property {GEOMETRY} only")
        geometry = geometries[0]
        if bbox and local(geometry) != "Envelope":
            raise _bad("BBOX takes a gml:Envelope")
        srs = self.default_srs
        if geometry.get("srsName"):
            srs = crs_ref(geometry.get("srsName"), "filter")
        if local(geometry) == "Envelope":
            return Spatial(op, envelope(geometry, srs))  # type: ignore[arg-type]
        return Spatial(op, gml_geometry(geometry, srs))  # type: ignore[arg-type]


def like_pattern(value: str, wild: str, single: str, escape: str) -> str:
    """Translate a FES pattern into SQL LIKE, escaping SQL's own wildcards."""
    out, chars = [], iter(value)
    for char in chars:
        if char == escape:
            nxt = next(chars, "")
            out.append("\\" + nxt if nxt in ("%", "_", "\\") else nxt)
        elif char == wild:
            out.append("%")
        elif char == single:
            out.append("_")
        elif char in ("%", "_", "\\"):
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def _numbers(text: str | None, count: int) -> list[float]:
    try:
        values = [float(v) for v in (text or "").split()]
    except ValueError as exc:
        raise _bad(f"not a list of numbers: {text!r}") from exc
    if len(values) != count:
        raise _bad(f"expected {count} coordinates, found {len(values)}")
    return values


def envelope(element: etree._Element, srs: CrsRef) -> Envelope:
    """Read a gml:Envelope (lowerCorner/upperCorner) in the axis order its CRS name implies."""
    corners = {local(c): c.text for c in _children(element)}
    if "lowerCorner" not in corners or "upperCorner" not in corners:
        raise _bad("an Envelope needs a lowerCorner and an upperCorner")
    a, b = _numbers(corners["lowerCorner"], 2)
    c, d = _numbers(corners["upperCorner"], 2)
    return make_envelope(a, b, c, d, srs, "filter")


def make_envelope(a: float, b: float, c: float, d: float, srs: CrsRef, locator: str) -> Envelope:
    if srs.northing_first:
        a, b, c, d = b, a, d, c
    try:
        return Envelope(a, b, c, d, srs.srid)
    except ValueError as exc:
        raise invalid(locator, str(exc)) from exc


def gml_geometry(element: etree._Element, srs: CrsRef) -> GmlGeometry:
    """Copy a GML geometry without its srsName attributes; the CRS name says the axis order."""
    geometry = copy.deepcopy(element)
    for node in geometry.iter():
        if isinstance(node.tag, str):
            node.attrib.pop("srsName", None)
    text = etree.tostring(geometry, encoding="unicode")
    return GmlGeometry(text, srs.srid, srs.northing_first)


def parse_bbox(value: str, default_srs: CrsRef) -> Spatial:
    """Read a KVP BBOX: minx,miny,maxx,maxy[,crs], in the axis order its CRS name implies."""
    parts = value.split(",")
    if len(parts) not in (4, 5):
        raise invalid("bbox", "BBOX is minx,miny,maxx,maxy with an optional CRS")
    try:
        a, b, c, d = (float(p) for p in parts[:4])
    except ValueError as exc:
        raise invalid("bbox", f"BBOX holds a non-number: {value}") from exc
    srs = crs_ref(parts[4], "bbox") if len(parts) == 5 else default_srs
    return Spatial("intersects", make_envelope(a, b, c, d, srs, "bbox"))


def parse_sort(value: str) -> tuple[SortKey, ...]:
    """Read a KVP SORTBY: name [ASC|DESC|A|D], comma separated."""
    keys = []
    for item in value.split(","):
        words = item.split()
        if not words or len(words) > 2:
            raise invalid("sortBy", f"cannot read the sort key {item!r}")
        direction = words[1].upper() if len(words) == 2 else "ASC"
        if direction not in ("ASC", "DESC", "A", "D"):
            raise invalid("sortBy", f"sort order {words[1]} is neither ASC nor DESC")
        keys.append(SortKey(type_name(words[0]), direction in ("DESC", "D")))
    return tuple(keys)


def parse_sort_element(element: etree._Element) -> tuple[SortKey, ...]:
    """Read an XML <SortBy> of SortProperty elements."""
    keys = []
    for prop in _children(element):
        name, order = None, "ASC"
        for child in _children(prop):
            if local(child) in ("ValueReference", "PropertyName"):
                name = type_name(child.text or "")
            elif local(child) == "SortOrder":
                order = (child.text or "ASC").strip().upper()
        if not name or order not in ("ASC", "DESC"):
            raise invalid("sortBy", "a SortProperty needs a ValueReference and ASC or DESC")
        keys.append(SortKey(name, order == "DESC"))
    return tuple(keys)
