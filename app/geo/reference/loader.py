"""Load a vintage of comuni boundaries into PostGIS, from either known file layout."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyogrio
import pyogrio.raw
from pyproj import CRS
from pyproj.exceptions import CRSError
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.errors import LoadError
from app.geo.reference.contiguity import build_neighbours
from app.geo.reference.istat import REGION_NAMES, REGION_RIPARTIZIONE, fold, ripartizione_of
from app.geo.reference.units import build_unit_boundaries

# progress(step, done, total): the CLI draws it, the domain only reports it.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Layout:
    """How one publisher names the columns of a comuni boundary file."""

    name: str
    code: str
    name_col: str
    province_code: str
    region_code: str
    province_name: str | None = None
    province_acronym: str | None = None
    region_name: str | None = None
    ripartizione_code: str | None = None

    @property
    def required(self) -> list[str]:
        return [self.code, self.name_col, self.province_code, self.region_code]


OPENPOLIS = Layout(
    name="openpolis",
    code="com_istat_code",
    name_col="name",
    province_code="prov_istat_code",
    region_code="reg_istat_code",
    province_name="prov_name",
    province_acronym="prov_acr",
    region_name="reg_name",
)
ISTAT = Layout(
    name="istat",
    code="PRO_COM_T",
    name_col="COMUNE",
    province_code="COD_PROV",
    region_code="COD_REG",
    province_acronym="SIGLA",
    ripartizione_code="COD_RIP",
)
LAYOUTS = (OPENPOLIS, ISTAT)


@dataclass(frozen=True)
class Attributes:
    """The ISTAT list of comuni with their 2011 population, keyed by code."""

    by_code: dict[str, dict]

    @classmethod
    def read(cls, path: Path) -> Attributes:
        try:
            records = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise LoadError(f"cannot read attributes {path}: {exc}") from exc
        if not isinstance(records, list) or not all("codice" in r for r in records):
            raise LoadError(f"{path} is not a list of comuni with a 'codice' field")
        return cls({r["codice"]: r for r in records})

    def province_acronyms(self) -> dict[str, str]:
        return {
            r["provincia"]["codice"]: r["sigla"] for r in self.by_code.values() if r.get("sigla")
        }

    def province_names(self) -> dict[str, str]:
        return {r["provincia"]["codice"]: r["provincia"]["nome"] for r in self.by_code.values()}


@dataclass
class LoadResult:
    """What a load did, for the operator to read."""

    vintage: int
    layout: str
    source_crs: str
    comuni: int
    repaired: list[str] = field(default_factory=list)
    without_attributes: list[str] = field(default_factory=list)
    moved_province: list[str] = field(default_factory=list)
    removed: int = 0
    islands: int = 0  # comuni with no contiguous neighbour, joined to their nearest


@dataclass
class Boundaries:
    """Normalised rows and their WKB geometries, as read from the file."""

    layout: Layout
    srid: int
    rows: list[dict]
    wkb: np.ndarray


def detect_layout(columns: Iterable[str], path: Path) -> Layout:
    """Say which known layout the columns follow, or name what is missing."""
    cols = set(columns)
    for layout in LAYOUTS:
        if set(layout.required) <= cols:
            return layout
    closest = max(LAYOUTS, key=lambda lay: len(set(lay.required) & cols))
    missing = [c for c in closest.required if c not in cols]
    raise LoadError(
        f"{path}: not a known comuni layout; closest is {closest.name}, which needs the "
        f"missing column(s) {', '.join(missing)} (found: {', '.join(sorted(cols)) or 'none'})"
    )


def _srid(crs_text: str | None, path: Path) -> int:
    if not crs_text:
        raise LoadError(f"{path}: the file declares no CRS, so its coordinates cannot be placed")
    try:
        epsg = CRS.from_user_input(crs_text).to_epsg()
    except CRSError as exc:
        raise LoadError(f"{path}: unknown CRS {crs_text!r}") from exc
    if epsg is None:
        raise LoadError(f"{path}: unknown CRS {crs_text!r}: it has no EPSG code")
    return epsg


def _code(value: object, width: int) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float):
        value = int(value)
    return str(value).strip().zfill(width)


def read_boundaries(path: Path, layer: str | None = None) -> Boundaries:
    """Read a boundary file, check it, and normalise its attributes."""
    path = Path(path)
    if not path.exists():
        raise LoadError(f"{path}: no such file")
    try:
        info = pyogrio.read_info(path, layer=layer)
    except Exception as exc:  # pyogrio raises several types for unreadable input
        raise LoadError(f"{path}: cannot be read as a vector file ({exc})") from exc
    layout = detect_layout(info["fields"], path)
    srid = _srid(info["crs"], path)
    if info["features"] == 0:
        raise LoadError(f"{path}: the layer holds no features")
    if info["geometry_type"] not in ("Polygon", "MultiPolygon", "Unknown"):
        raise LoadError(f"{path}: geometries are {info['geometry_type']}, not polygons")
    wanted = [
        c
        for c in (
            layout.code, layout.name_col, layout.province_code, layout.region_code,
            layout.province_name, layout.province_acronym, layout.region_name,
            layout.ripartizione_code,
        )
        if c and c in info["fields"]
    ]  # fmt: skip
    meta, _, wkb, values = pyogrio.raw.read(path, layer=layer, columns=wanted)
    data = dict(zip(meta["fields"], values, strict=True))
    rows = []
    for i in range(len(wkb)):

        def get(col: str | None, i: int = i) -> object:
            return data[col][i] if col and col in data else None

        rows.append(
            {
                "code": _code(get(layout.code), 6),
                "name": str(get(layout.name_col) or "").strip(),
                "province_code": _code(get(layout.province_code), 3),
                "region_code": _code(get(layout.region_code), 2),
                "province_name": get(layout.province_name),
                "province_acronym": get(layout.province_acronym),
                "region_name": get(layout.region_name),
            }
        )
    _check_rows(rows, wkb, path)
    return Boundaries(layout=layout, srid=srid, rows=rows, wkb=wkb)


def _check_rows(rows: list[dict], wkb: np.ndarray, path: Path) -> None:
    seen: set[str] = set()
    for i, row in enumerate(rows):
        where = f"{path}: feature {i}"
        if not (len(row["code"]) == 6 and row["code"].isdigit()):
            raise LoadError(f"{where}: comune code {row['code']!r} is not 6 digits")
        if row["code"] in seen:
            raise LoadError(f"{where}: comune code {row['code']} appears twice")
        seen.add(row["code"])
        if not row["name"]:
            raise LoadError(f"{where} ({row['code']}): no name")
        if not row["region_code"].isdigit() or int(row["region_code"]) not in REGION_RIPARTIZIONE:
            raise LoadError(f"{where} ({row['code']}): unknown region code {row['region_code']!r}")
        if wkb[i] is None:
            raise LoadError(f"{where} ({row['code']}): no geometry")


def complete_rows(rows: list[dict], attributes: Attributes | None, result: LoadResult) -> None:
    """Fill names, acronyms, ripartizione and population; the boundary file wins on hierarchy."""
    attrs = attributes.by_code if attributes else {}
    acronyms = attributes.province_acronyms() if attributes else {}
    province_names = attributes.province_names() if attributes else {}
    for row in rows:
        region = int(row["region_code"])
        row["ripartizione_code"], row["ripartizione"] = ripartizione_of(region)
        row["region_name"] = row["region_name"] or REGION_NAMES[region]
        row["name_folded"] = fold(row["name"])
        record = attrs.get(row["code"])
        if record is None:
            result.without_attributes.append(row["code"])
            row["population_2011"] = None
        else:
            row["population_2011"] = record.get("popolazione")
            if record["provincia"]["codice"] != row["province_code"]:
                result.moved_province.append(row["code"])
        row["province_acronym"] = row["province_acronym"] or acronyms.get(row["province_code"])
        row["province_name"] = (
            row["province_name"]
            or province_names.get(row["province_code"])
            or f"Provincia {row['province_code']}"
        )


COLUMNS = (
    "code", "name", "name_folded", "province_code", "province_name", "province_acronym",
    "region_code", "region_name", "ripartizione_code", "ripartizione", "population_2011",
)  # fmt: skip

STAGE = text(
    """
    create temporary table comuni_stage (
        code text, name text, name_folded text, province_code text, province_name text,
        province_acronym text, region_code text, region_name text, ripartizione_code smallint,
        ripartizione text, population_2011 integer, wkb bytea
    ) on commit drop
    """
)

COUNT_INVALID = text(
    "select code from comuni_stage where not ST_IsValid(ST_GeomFromWKB(wkb, :srid)) order by code"
)

UPSERT_VINTAGE = text(
    """
    insert into comuni_vintages (vintage, source, layout, comuni, repaired, without_attributes)
    values (:vintage, :source, :layout, :comuni, :repaired, :without_attributes)
    on conflict (vintage) do update set
        source = excluded.source, layout = excluded.layout, comuni = excluded.comuni,
        repaired = excluded.repaired, without_attributes = excluded.without_attributes,
        loaded_at = now()
    """
)

# Repair, reproject and measure in the database, next to the data. Transforming before the
# repair matters: a ring valid in UTM can self-touch after reprojection, and vice versa.
UPSERT_COMUNI = text(
    """
    insert into comuni (vintage, code, name, name_folded, province_code, province_name,
                        province_acronym, region_code, region_name, ripartizione_code,
                        ripartizione, population_2011, area_km2, geom)
    select :vintage, code, name, name_folded, province_code, province_name, province_acronym,
           region_code, region_name, ripartizione_code, ripartizione, population_2011,
           ST_Area(ST_Transform(g, 3035)) / 1e6, g
    from (
        select s.*, ST_Multi(ST_CollectionExtract(ST_MakeValid(
                   ST_Transform(ST_GeomFromWKB(wkb, :srid), 4326)), 3)) as g
        from comuni_stage s
    ) repaired
    on conflict (vintage, code) do update set
        name = excluded.name, name_folded = excluded.name_folded,
        province_code = excluded.province_code, province_name = excluded.province_name,
        province_acronym = excluded.province_acronym, region_code = excluded.region_code,
        region_name = excluded.region_name, ripartizione_code = excluded.ripartizione_code,
        ripartizione = excluded.ripartizione, population_2011 = excluded.population_2011,
        area_km2 = excluded.area_km2, geom = excluded.geom
    """
)

DELETE_GONE = text(
    """
    delete from comuni c where c.vintage = :vintage
    and not exists (select 1 from comuni_stage s where s.code = c.code)
    """
)

CHUNK = 500


def _copy_stage(session: Session, boundaries: Boundaries, progress: Progress) -> None:
    cursor = session.connection().connection.cursor()
    total = len(boundaries.rows)
    for start in range(0, total, CHUNK):
        buf = io.StringIO()
        writer = csv.writer(buf)
        for i in range(start, min(start + CHUNK, total)):
            row = boundaries.rows[i]
            writer.writerow([*(row[c] for c in COLUMNS), "\\x" + boundaries.wkb[i].hex()])
        buf.seek(0)
        cursor.copy_expert(
            f"copy comuni_stage ({', '.join(COLUMNS)}, wkb) from stdin with (format csv)", buf
        )
        progress("writing", min(start + CHUNK, total), total)


def load_comuni(
    session: Session,
    path: Path,
    vintage: int,
    attributes: Attributes | None = None,
    progress: Progress | None = None,
) -> LoadResult:
    """Load (or replace) one vintage of comuni in the session's transaction."""
    report = progress or (lambda step, done, total: None)
    report("reading", 0, 1)
    boundaries = read_boundaries(path)
    report("reading", 1, 1)
    crs = f"EPSG:{boundaries.srid}"
    result = LoadResult(vintage, boundaries.layout.name, crs, comuni=len(boundaries.rows))
    complete_rows(boundaries.rows, attributes, result)

    session.execute(text("drop table if exists comuni_stage"))
    session.execute(STAGE)
    _copy_stage(session, boundaries, report)
    result.repaired = list(session.scalars(COUNT_INVALID, {"srid": boundaries.srid}))
    session.execute(
        UPSERT_VINTAGE,
        {
            "vintage": vintage,
            "source": Path(path).name,
            "layout": boundaries.layout.name,
            "comuni": result.comuni,
            "repaired": len(result.repaired),
            "without_attributes": len(result.without_attributes),
        },
    )
    report("repairing and indexing", 0, 1)
    session.execute(UPSERT_COMUNI, {"vintage": vintage, "srid": boundaries.srid})
    deleted = session.execute(DELETE_GONE, {"vintage": vintage})
    result.removed = deleted.rowcount  # type: ignore[attr-defined]
    session.execute(text("analyze comuni"))
    report("repairing and indexing", 1, 1)
    report("contiguity", 0, 1)
    result.islands = build_neighbours(session, vintage)
    report("contiguity", 1, 1)
    report("province and region boundaries", 0, 1)
    build_unit_boundaries(session, vintage)
    report("province and region boundaries", 1, 1)
    return result
