"""Mapbox vector tiles of a layer, written by PostGIS (ST_AsMVT) in Web Mercator tiles."""

from __future__ import annotations

import math

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.geo.layers.registry import Layer, LayerContext

EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22
HALF = 20037508.342789244
WORLD = func.ST_MakeEnvelope(-HALF, -HALF, HALF, HALF, 3857)
# Lines and polygons are simplified to half a pixel of a tile drawn 512 pixels wide (MapLibre
# draws a vector tile at 512 to 1024 pixels): a national tile keeps a ninth of its vertices,
# and is written, sent, parsed and drawn that much faster, with no visible change.
SIMPLIFY_GRID = 1024
SIMPLIFIED = {"LineString", "MultiLineString", "Polygon", "MultiPolygon"}


def tile_exists(z: int, x: int, y: int) -> bool:
    """Say whether z/x/y names a tile of the WebMercatorQuad grid."""
    return 0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Return a tile's bounds in EPSG:4326 (lon/lat)."""

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / 2**z))))

    return (x / 2**z * 360 - 180, lat(y + 1), (x + 1) / 2**z * 360 - 180, lat(y))


def tile(
    session: Session, layer: Layer, ctx: LayerContext, z: int, x: int, y: int
) -> tuple[bytes, int]:
    """Return one tile of the layer as MVT bytes, and how many features it holds."""
    src = layer.select(session, ctx).subquery("src")
    fields = layer.fields_for(ctx)
    envelope = func.ST_TileEnvelope(z, x, y)
    # The GiST index on geom answers this: the tile and its buffer, back in EPSG:4326.
    margin = func.ST_TileEnvelope(z, x, y, WORLD, BUFFER / EXTENT)
    projected = func.ST_Transform(src.c.geom, 3857)
    if layer.geometry_type in SIMPLIFIED:
        # Small polygons are kept whole (preserveCollapsed): every unit stays on the map.
        projected = func.ST_Simplify(projected, 2 * HALF / 2**z / SIMPLIFY_GRID, True)
    geom = func.ST_AsMVTGeom(projected, envelope, EXTENT, BUFFER, True)
    rows = (
        select(geom.label("geom"), *(src.c[f.name] for f in fields))
        .where(src.c.geom.op("&&")(func.ST_Transform(margin, 4326)))
        .subquery("tile")
    )
    args = [rows.table_valued(), layer.name, EXTENT, "geom"]
    if layer.id.type == "integer":
        args.append(layer.id_field)
    # ST_AsMVT skips the rows whose geometry fell outside the tile (null), and count() does not
    # count them: a WHERE on it would have PostgreSQL compute every geometry twice.
    stmt = select(func.ST_AsMVT(*args), func.count(rows.c.geom))
    data, count = session.connection().execute(stmt).one()
    return (bytes(data) if data else b""), count
