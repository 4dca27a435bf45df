"""The comuni loader, on small real slices and on files the tests build."""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.errors import LoadError
from app.geo.reference.loader import Attributes, load_comuni
from tests.conftest import FIXTURES
from tests.utils.databases import DATA

SLICE_2021 = FIXTURES / "comuni_2021_slice.gpkg"
SLICE_2023 = FIXTURES / "comuni_2023_slice.gpkg"
INVALID_2021 = ["072001", "072037", "072040", "081019", "087009"]
VINTAGE = 1999  # a vintage no other test uses, so national data stays untouched


@pytest.fixture(scope="module")
def attributes() -> Attributes:
    return Attributes.read(DATA / "comuni_2020_attributes.json")


def rows(session: Session, sql: str, **params) -> list:
    return session.execute(text(sql), params).all()


def istat_shapefile(tmp_path: Path, drop: str | None = None) -> Path:
    """Rewrite the 2021 slice in the official ISTAT layout: ISTAT column names, UTM 32N."""
    df = pyogrio.read_dataframe(SLICE_2021).to_crs(32632)
    df = df.assign(
        PRO_COM_T=df.com_istat_code,
        COMUNE=df["name"],
        COD_PROV=df.prov_istat_code.astype(int),
        COD_REG=df.reg_istat_code.astype(int),
        COD_RIP=0,
        COD_UTS=df.prov_istat_code.astype(int),
    )[["PRO_COM_T", "COMUNE", "COD_PROV", "COD_REG", "COD_RIP", "COD_UTS", "geometry"]]
    if drop:
        df = df.drop(columns=[drop])
    path = tmp_path / "Com01012024_g_WGS84.shp"
    pyogrio.write_dataframe(df, path)
    return path


def test_openpolis_slice_repairs_invalid_geometries(session, attributes):
    result = load_comuni(session, SLICE_2021, VINTAGE, attributes)

    assert result.layout == "openpolis"
    assert result.comuni == 14
    assert result.repaired == INVALID_2021
    stored = rows(
        session,
        "select count(*), bool_and(ST_IsValid(geom)), bool_and(ST_GeometryType(geom) = "
        "'ST_MultiPolygon'), min(ST_SRID(geom)) from comuni where vintage = :v",
        v=VINTAGE,
    )
    assert stored == [(14, True, True, 4326)]


def test_hierarchy_comes_from_the_boundary_file(session, attributes):
    result = load_comuni(session, SLICE_2021, VINTAGE, attributes)

    # Montecopiolo and Sassofeltrio: Rimini in 2021, Pesaro-Urbino in the 2020 list.
    assert result.moved_province == ["041033", "041060"]
    got = rows(
        session,
        "select code, province_code, province_acronym, region_code, region_name, ripartizione, "
        "population_2011 from comuni where vintage = :v and code in ('041033', '071051') "
        "order by code",
        v=VINTAGE,
    )
    assert got == [
        ("041033", "099", "RN", "08", "Emilia-Romagna", "Nord-est", 1175),
        ("071051", "071", "FG", "16", "Puglia", "Sud", 54906),
    ]


def test_area_is_equal_area_and_close_to_the_geodesic_area(session, attributes):
    load_comuni(session, SLICE_2021, VINTAGE, attributes)
    ratio = session.scalar(
        text(
            "select max(abs(area_km2 / (ST_Area(geom::geography) / 1e6) - 1)) "
            "from comuni where vintage = :v"
        ),
        {"v": VINTAGE},
    )
    assert ratio < 0.001


def test_comuni_without_attributes_are_kept_with_null_population(session, attributes):
    result = load_comuni(session, SLICE_2023, VINTAGE, attributes)

    assert result.without_attributes == ["081025", "099030", "099031"]
    got = rows(
        session,
        "select code, population_2011, province_acronym from comuni where vintage = :v "
        "order by code",
        v=VINTAGE,
    )
    assert got == [
        ("071051", 54906, "FG"),
        ("081025", None, "TP"),
        ("099030", None, "RN"),
        ("099031", None, "RN"),
    ]


def test_istat_shapefile_layout_in_utm(session, attributes, tmp_path):
    result = load_comuni(session, istat_shapefile(tmp_path), VINTAGE, attributes)

    assert (result.layout, result.source_crs, result.comuni) == ("istat", "EPSG:32632", 14)
    got = rows(
        session,
        "select name, province_name, province_acronym, region_name, ripartizione, "
        "round(ST_X(ST_PointOnSurface(geom))::numeric, 1), "
        "round(ST_Y(ST_PointOnSurface(geom))::numeric, 1) "
        "from comuni where vintage = :v and code = '071051'",
        v=VINTAGE,
    )
    # Names the ISTAT file lacks come from the attribute list and the fixed region table.
    name, province, acronym, region, ripartizione, x, y = got[0]
    assert (name, province, acronym, region, ripartizione) == (
        "San Severo", "Foggia", "FG", "Puglia", "Sud",
    )  # fmt: skip
    assert 15.2 < float(x) < 15.6 and 41.5 < float(y) < 41.9


def test_reloading_replaces_the_vintage(session, attributes):
    load_comuni(session, SLICE_2021, VINTAGE, attributes)
    ids = dict(rows(session, "select code, id from comuni where vintage = :v", v=VINTAGE))

    result = load_comuni(session, SLICE_2023, VINTAGE, attributes)

    codes = [r[0] for r in rows(session, "select code from comuni where vintage = :v", v=VINTAGE)]
    assert sorted(codes) == ["071051", "081025", "099030", "099031"]
    assert result.removed == 13
    # A comune present in both keeps its row, so references to it stay valid.
    assert (
        dict(rows(session, "select code, id from comuni where vintage = :v", v=VINTAGE))["071051"]
        == ids["071051"]
    )
    assert rows(session, "select comuni from comuni_vintages where vintage = :v", v=VINTAGE) == [
        (4,)
    ]


def test_missing_column_is_named(tmp_path):
    with pytest.raises(LoadError, match="missing column.*COD_REG"):
        load_comuni(None, istat_shapefile(tmp_path, drop="COD_REG"), VINTAGE)  # type: ignore[arg-type]


def test_unknown_crs_is_refused(tmp_path):
    df = pyogrio.read_dataframe(SLICE_2021)
    path = tmp_path / "nocrs.gpkg"
    pyogrio.write_dataframe(df.set_crs(None, allow_override=True), path, layer="comuni")
    with pytest.raises(LoadError, match="declares no CRS"):
        load_comuni(None, path, VINTAGE)  # type: ignore[arg-type]


def test_empty_file_is_refused(tmp_path):
    df = pyogrio.read_dataframe(SLICE_2021).iloc[0:0]
    path = tmp_path / "empty.gpkg"
    pyogrio.write_dataframe(df, path, layer="comuni")
    with pytest.raises(LoadError, match="no features"):
        load_comuni(None, path, VINTAGE)  # type: ignore[arg-type]


def test_not_a_vector_file_is_refused(tmp_path):
    path = tmp_path / "comuni.gpkg"
    path.write_text("not a geopackage")
    with pytest.raises(LoadError, match="cannot be read"):
        load_comuni(None, path, VINTAGE)  # type: ignore[arg-type]


def test_national_vintages_are_complete(session):
    got = rows(
        session,
        "select vintage, count(*), bool_and(ST_IsValid(geom)), sum(area_km2) from comuni "
        "where vintage in (2021, 2023) group by vintage order by vintage",
    )
    assert [(v, n, ok) for v, n, ok, _ in got] == [(2021, 7903, True), (2023, 7899, True)]
    for *_, area in got:
        assert abs(area / 302_073 - 1) < 0.01
    spatial_index = session.scalar(
        text("select count(*) from pg_indexes where tablename = 'comuni' and indexdef ~* 'gist'")
    )
    assert spatial_index == 1
