"""GDAL's WFS and OGC API Features drivers (Debian gdal-bin) against the live service."""

from __future__ import annotations

import json
import subprocess

import pytest
import shapely

from tests.utils.clients import SAN_SEVERO, near, run

pytestmark = [pytest.mark.clients, pytest.mark.database("own")]

PAGING = ["--config", "OGR_WFS_PAGING_ALLOWED", "ON", "--config", "OGR_WFS_PAGE_SIZE", "1000"]


def read_geojson(path) -> dict:
    features = json.loads(path.read_text())["features"]
    by_code = {f["properties"]["code"]: f for f in features}
    return {"count": len(features), "codes": set(by_code), "by_code": by_code}


def centroid(feature: dict) -> tuple[float, float]:
    point = shapely.centroid(shapely.geometry.shape(feature["geometry"]))
    return point.x, point.y


def test_ogrinfo_reads_the_wfs_2_0_summary(layers_url):
    out = run(
        "ogrinfo", "-ro", "-so", "-oo", "TRUST_CAPABILITIES_BOUNDS=YES",
        f"WFS:{layers_url}/wfs", "incas:comuni_2023",
    ).stdout  # fmt: skip

    assert "Feature Count: 7899" in out
    assert "Extent: (6.626621, 35.493692) - (18.520382, 47.091784)" in out
    # GDAL names GML 3 multi-surfaces "Multi Surface" (as with GeoServer or MapServer).
    assert "Geometry: Multi Surface" in out
    for field in ("code: String", "population_2011: Integer", "area_km2: Real"):
        assert field in out
    assert "secret_points" not in run("ogrinfo", "-ro", "-q", f"WFS:{layers_url}/wfs").stdout


def test_ogr2ogr_pages_through_wfs_2_0_and_copies_every_feature_once(layers_url, tmp_path, truth):
    out = tmp_path / "out.geojson"

    run("ogr2ogr", *PAGING, "-f", "GeoJSON", str(out), f"WFS:{layers_url}/wfs", "incas:comuni_2023")

    got = read_geojson(out)
    assert got["count"] == 7899 == len(got["codes"])
    san_severo = got["by_code"][SAN_SEVERO]
    assert san_severo["properties"]["name"] == "San Severo"
    assert near(centroid(san_severo), truth["centroid"])
    assert near(centroid(san_severo), (15.38, 41.69), tolerance=0.06)


@pytest.mark.parametrize(
    ("source", "layer", "options"),
    [
        ("WFS:{url}/wfs?VERSION=1.1.0", "incas:comuni_2023", []),
        # GDAL 3.6 asks for 10 features a page unless told.
        ("OAPIF:{url}/ogc", "comuni_2023", ["-oo", "PAGE_SIZE=1000"]),
    ],
    ids=["wfs-1.1", "oapif"],
)
def test_ogr2ogr_reads_wfs_1_1_and_ogc_api_in_place(
    layers_url, tmp_path, truth, source, layer, options
):
    out = tmp_path / "out.geojson"

    # Puglia only (257 comuni), to keep the suite fast; WFS 2.0 above reads them all.
    run(
        "ogr2ogr", *options, "-where", "region_code = '16'", "-f", "GeoJSON", str(out),
        source.format(url=layers_url), layer,
    )  # fmt: skip

    got = read_geojson(out)
    assert got["count"] == 257 == len(got["codes"])
    san_severo = got["by_code"][SAN_SEVERO]
    assert near(centroid(san_severo), truth["centroid"])


def test_spatial_and_attribute_filters_go_to_the_server(layers_url, tmp_path):
    boxed, where = tmp_path / "boxed.geojson", tmp_path / "where.geojson"
    source = f"WFS:{layers_url}/wfs"

    run(
        "ogr2ogr",
        "-f",
        "GeoJSON",
        "-spat",
        "15.37",
        "41.68",
        "15.39",
        "41.70",
        str(boxed),
        source,
        "incas:comuni_2023",
    )
    run(
        "ogr2ogr",
        "-f",
        "GeoJSON",
        "-where",
        f"code = '{SAN_SEVERO}'",
        str(where),
        source,
        "incas:comuni_2023",
    )

    assert SAN_SEVERO in read_geojson(boxed)["codes"] and read_geojson(boxed)["count"] < 5
    assert read_geojson(where)["codes"] == {SAN_SEVERO}


def test_basic_auth_opens_the_restricted_layer_to_an_analyst(
    layers_url, tmp_path, truth, analyst_secret
):
    out = tmp_path / "secret.geojson"
    auth = [
        "--config",
        "GDAL_HTTP_AUTH",
        "BASIC",
        "--config",
        "GDAL_HTTP_USERPWD",
        f"qgis:{analyst_secret}",
    ]

    run(
        "ogr2ogr",
        *auth,
        *PAGING,
        "-f",
        "GeoJSON",
        str(out),
        f"WFS:{layers_url}/wfs",
        "incas:secret_points",
    )

    got = read_geojson(out)
    assert got["count"] == 257
    point = got["by_code"][SAN_SEVERO]["geometry"]
    assert point["type"] == "Point" and near(point["coordinates"], truth["point"])


def test_anonymous_gdal_cannot_open_the_restricted_layer(layers_url, tmp_path):
    for source, layer in (
        (f"WFS:{layers_url}/wfs", "incas:secret_points"),
        (f"OAPIF:{layers_url}/ogc", "secret_points"),
    ):
        done = subprocess.run(
            ["ogr2ogr", "-f", "GeoJSON", str(tmp_path / "x.geojson"), source, layer],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode != 0
        assert (
            not (tmp_path / "x.geojson").exists()
            or '"coordinates"' not in (tmp_path / "x.geojson").read_text()
        )
