"""The JSON documents of OGC API Features: landing page, conformance, collections, queryables,
and the API definition of one endpoint (listing only the collections its caller may see)."""

from __future__ import annotations

from collections.abc import Sequence

from app import __version__
from app.api.ogc.params import DEFAULT_LIMIT, GEOJSON, HTML, JSON, MAX_LIMIT
from app.geo.layers.crs import CRS84_URI, SUPPORTED
from app.geo.layers.registry import GEOMETRY, Field, Layer

OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA_JSON = "application/schema+json"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
CRS_LIST = [CRS84_URI, *(c.uri for c in SUPPORTED.values())]
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]
JSON_TYPES = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
}


def link(rel: str, media: str, href: str, title: str | None = None) -> dict:
    out = {"rel": rel, "type": media, "href": href}
    if title:
        out["title"] = title
    return out


def landing(base: str, root: str, title: str) -> dict:
    return {
        "title": title,
        "description": "Map layers of the INCAS census, as OGC API Features (Parts 1, 2, 3).",
        "links": [
            link("self", JSON, base, "this document"),
            link("alternate", HTML, f"{base}?f=html", "this document as HTML"),
            link("service-desc", OPENAPI, f"{base}/api", "the API definition"),
            link("service-doc", HTML, f"{root}/docs", "the API documentation"),
            link("conformance", JSON, f"{base}/conformance", "conformance classes"),
            link("data", JSON, f"{base}/collections", "the collections"),
        ],
    }


def conformance() -> dict:
    return {"conformsTo": CONFORMANCE}


def collection(base: str, layer: Layer, extent: tuple[float, float, float, float] | None) -> dict:
    url = f"{base}/collections/{layer.name}"
    doc: dict = {
        "id": layer.name,
        "title": layer.title,
        "description": layer.description,
        "itemType": "feature",
        "crs": CRS_LIST,
        "storageCrs": CRS84_URI,
        "links": [
            link("self", JSON, url, "this collection"),
            link("alternate", HTML, f"{url}?f=html", "this collection as HTML"),
            link("items", GEOJSON, f"{url}/items", "the features"),
            link("items", HTML, f"{url}/items?f=html", "the features as HTML"),
            link(QUERYABLES_REL, SCHEMA_JSON, f"{url}/queryables", "the queryable properties"),
        ],
    }
    if extent is not None:
        doc["extent"] = {"spatial": {"bbox": [list(extent)], "crs": CRS84_URI}}
    return doc


def collections(base: str, docs: Sequence[dict]) -> dict:
    return {
        "links": [
            link("self", JSON, f"{base}/collections", "the collections"),
            link("alternate", HTML, f"{base}/collections?f=html", "the collections as HTML"),
        ],
        "collections": list(docs),
        "crs": CRS_LIST,
    }


def queryables(base: str, layer: Layer, fields: Sequence[Field]) -> dict:
    url = f"{base}/collections/{layer.name}/queryables"
    properties: dict = {
        f.name: {"title": f.name, "description": f.description, **JSON_TYPES[f.type]}
        for f in fields
    }
    properties[GEOMETRY] = {"format": f"geometry-{layer.geometry_type.lower()}"}
    return {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": url,
        "type": "object",
        "title": layer.title,
        "properties": properties,
        "additionalProperties": False,
    }


def _query(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "schema": schema,
        "description": description,
    }


def _get(summary: str, parameters: Sequence[dict] = (), media: str = JSON) -> dict:
    return {
        "get": {
            "summary": summary,
            "parameters": list(parameters),
            "responses": {"200": {"description": summary, "content": {media: {}}}},
        }
    }


def openapi(base: str, title: str, layers: Sequence[Layer], fields: dict[str, tuple]) -> dict:
    """Describe this endpoint in OpenAPI 3.0, as QGIS and GDAL read it (limit, queryables)."""
    ref = {name: {"$ref": f"#/components/parameters/{name}"} for name in ("limit", "offset")}
    ref |= {n: {"$ref": f"#/components/parameters/{n}"} for n in ("bbox", "bbox-crs", "crs", "f")}
    paths: dict = {
        "/": _get("Landing page"),
        "/api": _get("This API definition", media=OPENAPI),
        "/conformance": _get("Conformance classes"),
        "/collections": _get("Collections"),
    }
    for layer in layers:
        url = f"/collections/{layer.name}"
        simple = [
            _query(f.name, JSON_TYPES[f.type], f"Features whose {f.name} equals this value.")
            for f in fields[layer.name]
        ]
        paths[url] = _get(layer.title)
        paths[f"{url}/items"] = _get(
            f"Features of {layer.name}", [*ref.values(), *simple], media=GEOJSON
        )
        paths[f"{url}/items/{{featureId}}"] = _get(
            f"One feature of {layer.name}",
            [{"$ref": "#/components/parameters/featureId"}, ref["crs"], ref["f"]],
            media=GEOJSON,
        )
        paths[f"{url}/queryables"] = _get(f"Queryables of {layer.name}", media=SCHEMA_JSON)
    limit = {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}
    numbers = {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}
    crs_uris = {"type": "string", "enum": CRS_LIST}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": title,
            "version": __version__,
            "contact": {"name": "incas-census"},
        },
        "servers": [{"url": base}],
        "paths": paths,
        "components": {
            "parameters": {
                "limit": _query("limit", limit, "Features per page."),
                "offset": _query("offset", {"type": "integer", "minimum": 0}, "Features to skip."),
                "bbox": _query("bbox", numbers, "Only features that intersect this box."),
                "bbox-crs": _query(
                    "bbox-crs", {"type": "string", "enum": CRS_LIST}, "CRS of bbox."
                ),
                "crs": _query("crs", crs_uris, "CRS of the output."),
                "f": _query("f", {"type": "string", "enum": ["json", "html"]}, "Format."),
                "featureId": {
                    "name": "featureId",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                },
            }
        },
    }
