"""WFS requests sent as XML in a POST body, parsed without DTDs, entities or network access."""

from __future__ import annotations

import re

from lxml import etree

from app.api.wfs.exceptions import OwsException, invalid, missing
from app.api.wfs.fes import local, parse_filter, parse_sort_element
from app.api.wfs.model import (
    DescribeFeatureType,
    GetCapabilities,
    GetFeature,
    Query,
    WfsRequest,
    crs_ref,
    negotiate,
    positive_int,
    request_version,
    type_name,
    unsupported,
)
from app.geo.layers.features import SortKey

MAX_BODY = 1_000_000
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)
# No DTD is loaded and no entity is expanded: XXE and "billion laughs" bodies cannot do harm.
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


def parse_xml(body: bytes, locator: str = "request") -> etree._Element:
    """Parse an XML document from a client; refuse DTDs and anything malformed."""
    if len(body) > MAX_BODY:
        raise OwsException("OperationParsingFailed", "the request body is too large", locator)
    if _DOCTYPE.search(body):
        raise OwsException("OperationParsingFailed", "DTDs and entities are refused", locator)
    try:
        root = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise OwsException("OperationParsingFailed", f"malformed XML: {exc}", locator) from exc
    if root.getroottree().docinfo.doctype:
        raise OwsException("OperationParsingFailed", "DTDs and entities are refused", locator)
    return root


def version_of(body: bytes) -> str:
    """Guess the WFS version of a body, for the exception report, without failing."""
    match = re.search(rb'version\s*=\s*["\']([\d.]+)', body[:2000])
    return match.group(1).decode() if match else "2.0.0"


def _children(element: etree._Element) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str)]


def parse_body(body: bytes, run: int | None = None) -> WfsRequest:
    """Turn a POSTed WFS request into its typed value."""
    root = parse_xml(body)
    operation = local(root)
    service = root.get("service")
    if service is not None and service.upper() != "WFS":
        raise invalid("service", f"this is a WFS, not {service}")
    if operation == "GetCapabilities":
        versions = [
            v.text.strip()
            for v in root.iter()
            if isinstance(v.tag, str) and local(v) == "Version" and v.text
        ]
        return GetCapabilities(negotiate(",".join(versions) or None, root.get("version")))
    version = request_version(root.get("version"))
    if operation == "DescribeFeatureType":
        names = tuple(type_name(c.text or "") for c in _children(root) if local(c) == "TypeName")
        return DescribeFeatureType(version, names, root.get("outputFormat"))
    if operation == "GetFeature":
        return _get_feature(root, version, run)
    raise unsupported(operation)


def _get_feature(root: etree._Element, version: str, run: int | None) -> GetFeature:
    queries = []
    for element in _children(root):
        if local(element) != "Query":
            raise OwsException(
                "OperationNotSupported", f"{local(element)} is not supported here", "request"
            )
        queries.extend(_queries(element))
    if not queries:
        raise missing("typeNames")
    result_type = root.get("resultType", "results")
    if result_type not in ("results", "hits"):
        raise invalid("resultType", f"resultType is results or hits, not {result_type}")
    count = positive_int(root.get("count") or root.get("maxFeatures"), "count")
    return GetFeature(
        version=version,
        queries=queries,
        count=count,
        start_index=positive_int(root.get("startIndex"), "startIndex") or 0,
        hits=result_type == "hits",
        output_format=root.get("outputFormat"),
        run=run,
    )


def _queries(element: etree._Element) -> list[Query]:
    names = element.get("typeNames") or element.get("typeName")
    if not names:
        raise missing("typeNames")
    srs = crs_ref(element.get("srsName"), "srsName")
    properties = []
    filters: list[etree._Element] = []
    sort: tuple[SortKey, ...] = ()
    for child in _children(element):
        tag = local(child)
        if tag == "PropertyName":
            properties.append(type_name(child.text or ""))
        elif tag == "Filter":
            filters.append(child)
        elif tag == "SortBy":
            sort = parse_sort_element(child)
        else:
            raise invalid("query", f"{tag} is not supported in a Query")
    if len(names.split()) != 1:
        raise invalid("typeNames", "joins are not supported: one type name per Query")
    query = Query(type_name(names), srs, tuple(properties) or None, sort=sort)
    if filters:
        query.filter = parse_filter(filters[0], query.type_name, srs)
    return [query]
