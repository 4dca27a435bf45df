"""Exports of a layer: GeoPackage (written by GDAL from batches streamed out of PostGIS), CSV
with WKT geometry, and GeoJSON. Nothing holds a whole layer in memory."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pyogrio import raw

from app.geo.layers.features import FeatureQuery, Features, feature_collection
from app.geo.layers.registry import Field

FORMATS = {
    "gpkg": "application/geopackage+sqlite3",
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
}
_DTYPES: dict[str, Any] = {
    "string": object,
    "integer": "int32",
    "number": "float64",
    "boolean": "bool",
    "date": "datetime64[D]",
    "datetime": "datetime64[ms]",
}
_EMPTY: dict[str, Any] = {"string": "", "integer": 0, "number": 0.0, "boolean": False}


def _column(field: Field, values: Sequence[Any]) -> tuple[np.ndarray, np.ndarray | None]:
    mask = np.array([v is None for v in values], dtype=bool)
    if field.type == "datetime":
        values = [None if v is None else v.replace(tzinfo=None) for v in values]
    filled = [_EMPTY.get(field.type) if v is None else v for v in values]
    array = np.array(filled, dtype=_DTYPES[field.type])
    return array, (mask if mask.any() else None)


def write_gpkg(features: Features, query: FeatureQuery, path: Path) -> int:
    """Write the query's features to a GeoPackage layer named after the layer; return the count."""
    fields = list(features.fields)
    layer = features.layer
    options = {
        "layer": layer.name,
        "driver": "GPKG",
        "geometry_type": layer.geometry_type,
        "crs": f"EPSG:{query.crs.srid}",
        "fields": [f.name for f in fields],
    }
    count = 0
    for batch in features.records(query, "wkb"):
        columns = list(zip(*batch, strict=True))
        geometry = np.array([None if g is None else bytes(g) for g in columns[-1]], dtype=object)
        data, masks = zip(
            *(_column(f, c) for f, c in zip(fields, columns, strict=False)), strict=True
        )
        raw.write(path, geometry, list(data), field_mask=list(masks), append=count > 0, **options)
        count += len(batch)
    if count == 0:
        empty = [np.array([], dtype=_DTYPES[f.type]) for f in fields]
        raw.write(path, np.array([], dtype=object), empty, **options)
    return count


def csv_rows(features: Features, query: FeatureQuery) -> Iterator[str]:
    """Yield CSV text: a header, then one line per feature with its geometry as WKT."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*(f.name for f in features.fields), "WKT"])
    yield buffer.getvalue()
    for batch in features.records(query, "wkt"):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(batch)
        yield buffer.getvalue()


def geojson(features: Features, query: FeatureQuery) -> Iterator[str]:
    """Yield one GeoJSON FeatureCollection (easting first, CRS named when not WGS 84)."""
    head: dict[str, Any] = {"type": "FeatureCollection", "name": features.layer.name}
    if query.crs.srid != 4326:
        head["crs"] = {"type": "name", "properties": {"name": query.crs.urn}}
    yield from feature_collection(head, features.geojson(query))
