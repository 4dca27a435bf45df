"""WFS requests sent as key-value pairs in a URL (names are case-insensitive)."""

from __future__ import annotations

from collections.abc import Mapping

from app.api.wfs.exceptions import invalid, missing
from app.api.wfs.fes import parse_bbox, parse_filter, parse_sort, resource_ids
from app.api.wfs.model import (
    VERSIONS,
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
from app.api.wfs.xml_request import parse_xml

FES_LANGUAGES = (
    "urn:ogc:def:query language:ogc-fes:filter",
    "urn:ogc:def:query:ogc-fes:filter",
    "fes",
)


def normalized(params: Mapping[str, str]) -> dict[str, str]:
    """Return the parameters with upper-case names."""
    return {key.upper(): value for key, value in params.items()}


def version_of(params: Mapping[str, str]) -> str:
    """Return the version to answer errors in: the one asked for, if we speak it."""
    version = normalized(params).get("VERSION", "").strip()
    return version if version in VERSIONS else VERSIONS[0]


def run_of(params: Mapping[str, str]) -> int | None:
    """Return the vendor RUN parameter (a case-area run id)."""
    return positive_int(normalized(params).get("RUN"), "RUN")


def parse_kvp(params: Mapping[str, str]) -> WfsRequest:
    """Turn the query string of a WFS request into its typed value."""
    p = normalized(params)
    operation = p.get("REQUEST")
    if not operation:
        raise missing("request")
    service = p.get("SERVICE")
    if not service:
        raise missing("service")
    if service.upper() != "WFS":
        raise invalid("service", f"this is a WFS, not {service}")
    operation = operation.lower()
    if operation == "getcapabilities":
        return GetCapabilities(negotiate(p.get("ACCEPTVERSIONS"), p.get("VERSION")))
    version = request_version(p.get("VERSION"))
    if operation == "describefeaturetype":
        names = p.get("TYPENAMES") or p.get("TYPENAME") or ""
        return DescribeFeatureType(
            version, tuple(type_name(n) for n in names.split(",") if n), p.get("OUTPUTFORMAT")
        )
    if operation == "getfeature":
        return _get_feature(p, version)
    raise unsupported(p["REQUEST"])


def _lists(value: str, count: int, locator: str) -> list[str]:
    """Split a per-query list, "(a)(b)", into one value per query."""
    value = value.strip()
    if value.startswith("(") and value.endswith(")"):
        items = value[1:-1].split(")(")
    else:
        items = [value]
    if len(items) == 1:
        items = items * count
    if len(items) != count:
        raise invalid(locator, f"{locator} needs one value per type name")
    return items


def _get_feature(p: dict[str, str], version: str) -> GetFeature:
    rids = p.get("RESOURCEID") or p.get("FEATUREID")
    given = [k for k in ("RESOURCEID", "FEATUREID", "FILTER", "BBOX") if p.get(k)]
    if len(given) > 1:
        raise invalid(given[1].lower(), f"{' and '.join(given)} are mutually exclusive")
    if p.get("STOREDQUERY_ID"):
        raise invalid("storedQuery_Id", "stored queries are not offered; use a filter")
    names_param = p.get("TYPENAMES") or p.get("TYPENAME")
    if names_param:
        names = [type_name(n) for n in names_param.split(",") if n.strip()]
    elif rids:
        # Without TYPENAMES, the resource ids say which types to read, in order.
        names = list(dict.fromkeys(r.strip().partition(".")[0] for r in rids.split(",")))
    else:
        raise missing("typeNames")
    if not names:
        raise missing("typeNames")
    srs = crs_ref(p.get("SRSNAME"), "srsName")
    queries = [Query(name, srs) for name in names]
    if p.get("PROPERTYNAME"):
        values = _lists(p["PROPERTYNAME"], len(queries), "propertyName")
        for query, value in zip(queries, values, strict=True):
            listed = [type_name(v) for v in value.split(",") if v.strip()]
            query.property_names = None if listed in ([], ["*"]) else tuple(listed)
    if p.get("SORTBY"):
        for query, value in zip(queries, _lists(p["SORTBY"], len(queries), "sortBy"), strict=True):
            query.sort = parse_sort(value)
    _filters(p, queries, rids)
    result_type = p.get("RESULTTYPE", "results").lower()
    if result_type not in ("results", "hits"):
        raise invalid("resultType", f"resultType is results or hits, not {p['RESULTTYPE']}")
    return GetFeature(
        version=version,
        queries=queries,
        count=positive_int(p.get("COUNT") or p.get("MAXFEATURES"), "count"),
        start_index=positive_int(p.get("STARTINDEX"), "startIndex") or 0,
        hits=result_type == "hits",
        output_format=p.get("OUTPUTFORMAT"),
        run=positive_int(p.get("RUN"), "RUN"),
    )


def _filters(p: dict[str, str], queries: list[Query], rids: str | None) -> None:
    language = p.get("FILTER_LANGUAGE")
    if language and language.lower() not in FES_LANGUAGES:
        raise invalid("filter_language", f"filter language {language} is not supported")
    if p.get("FILTER"):
        for query, text in zip(queries, _lists(p["FILTER"], len(queries), "filter"), strict=True):
            element = parse_xml(text.encode(), "filter")
            query.filter = parse_filter(element, query.type_name, query.srs)
    elif p.get("BBOX"):
        for query in queries:
            query.filter = parse_bbox(p["BBOX"], query.srs)
    elif rids:
        for query in queries:
            query.filter = resource_ids(rids.split(","), query.type_name)
