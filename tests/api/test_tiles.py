"""Vector tiles (MVT by ST_AsMVT) and TileJSON of the reference layers."""

from __future__ import annotations

import pyogrio
import pytest
import shapely
from pyogrio import raw
from sqlalchemy import func, select

from app.geo.reference.boundary_models import Comune
from tests.utils.layers import layer_client, open_wave

SAN_SEVERO_TILE = "8/138/95"


@pytest.fixture
def client(app, session):
    with layer_client(app, session) as c:
        yield c


def read_tile(tmp_path, content: bytes, zxy: str, layer: str) -> dict:
    """Decode a tile with GDAL's MVT driver (which reads z/x/y from the path)."""
    path = tmp_path / f"{zxy}.pbf"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert [n for n, _ in pyogrio.list_layers(path)] == [layer]
    meta, _, geometries, values = raw.read(path, layer=layer)
    columns = dict(zip(meta["fields"], values, strict=True))
    return {"meta": meta, "geometries": geometries, "columns": columns}


def test_tilejson_describes_the_layer(client):
    doc = client.get("/tiles/comuni_2023/tilejson.json").json()

    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"] == ["http://testserver/tiles/comuni_2023/{z}/{x}/{y}.mvt"]
    assert doc["vector_layers"][0]["id"] == "comuni_2023"
    assert doc["vector_layers"][0]["fields"]["population_2011"] == "Number"
    minx, miny, maxx, maxy = doc["bounds"]
    assert 6.5 < minx < 6.7 and 47.0 < maxy < 47.2


def test_tile_index_lists_the_layers(client):
    doc = client.get("/tiles").json()

    assert [x["name"] for x in doc["layers"]] == ["comuni_2021", "comuni_2023"]


def test_a_tile_holds_the_comuni_it_covers(client, tmp_path):
    r = client.get(f"/tiles/comuni_2023/{SAN_SEVERO_TILE}.mvt")

    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    tile = read_tile(tmp_path, r.content, SAN_SEVERO_TILE, "comuni_2023")
    assert tile["meta"]["geometry_type"] == "MultiPolygon"
    codes = list(tile["columns"]["code"])
    assert "071051" in codes and len(codes) == len(set(codes))
    san_severo = shapely.from_wkb(tile["geometries"][codes.index("071051")])
    centre = shapely.centroid(san_severo)
    # Web Mercator metres of lon 15.38, lat 41.69.
    assert abs(centre.x - 1_712_000) < 5_000 and abs(centre.y - 5_113_000) < 5_000
    assert tile["columns"]["name"][codes.index("071051")] == "San Severo"


def test_a_tile_at_sea_is_empty(client):
    r = client.get("/tiles/comuni_2023/8/100/100.mvt")

    assert r.status_code == 200 and r.content == b""


@pytest.mark.parametrize("zxy", ["8/256/0", "23/0/0", "3/-1/0"])
def test_tiles_outside_the_grid_are_404(client, zxy):
    assert client.get(f"/tiles/comuni_2023/{zxy}.mvt").status_code == 404


def test_unknown_layer_is_404(client):
    assert client.get("/tiles/nowhere/0/0/0.mvt").status_code == 404
    assert client.get("/tiles/nowhere/tilejson.json").status_code == 404


def test_a_wave_serves_its_comuni_tiles(client, session, tmp_path):
    open_wave(session, "wave-tiles", vintage=2021)

    doc = client.get("/surveys/wave-tiles/tiles/comuni/tilejson.json").json()
    r = client.get(f"/surveys/wave-tiles/tiles/comuni/{SAN_SEVERO_TILE}.mvt")

    assert doc["tiles"][0].endswith("/surveys/wave-tiles/tiles/comuni/{z}/{x}/{y}.mvt")
    assert "071051" in list(
        read_tile(tmp_path, r.content, SAN_SEVERO_TILE, "comuni")["columns"]["code"]
    )


def test_a_low_zoom_tile_is_simplified_to_half_a_pixel_and_keeps_every_comune(
    client, session, tmp_path
):
    national, local = "5/17/11", SAN_SEVERO_TILE  # the z8 tile lies inside the z5 one
    low = read_tile(tmp_path / "low", client.get(f"/tiles/comuni_2023/{national}.mvt").content,
                    national, "comuni_2023")  # fmt: skip
    high = read_tile(tmp_path / "high", client.get(f"/tiles/comuni_2023/{local}.mvt").content,
                     local, "comuni_2023")  # fmt: skip

    codes = list(low["columns"]["code"])
    assert set(high["columns"]["code"]) <= set(codes)
    drawn = shapely.from_wkb(low["geometries"][codes.index("071051")])
    full = shapely.from_wkb(
        bytes(
            session.scalar(
                select(func.ST_AsBinary(func.ST_Transform(Comune.geom, 3857))).where(
                    Comune.vintage == 2023, Comune.code == "071051"
                )
            )
        )
    )
    # Half a pixel of a 512-pixel z5 tile is 1,223 m; the tile's own grid adds 150 m.
    assert shapely.hausdorff_distance(drawn, full) < 1_400
    assert shapely.get_num_coordinates(drawn) < shapely.get_num_coordinates(full) / 3
