"""Our WFS 2.0 and OGC API Features against MapServer 8 (CGI), tipg and raw PostGIS.

One run, one PostGIS table (the 2023 comuni, all 7,899, full geometry), interleaved rounds:

- WFS 2.0 GetFeature, GML 3.2: ours over HTTP vs MapServer 8 as a CGI process;
- OGC API items, GeoJSON: ours over HTTP vs tipg over HTTP vs psql `copy (json) to stdout`.

Before timing, every output is parsed and checked against the table (same features, same
attributes and values, every vertex, same coordinate precision). During timing one comune is
renamed for one round, and every output of that round, and only of that round, must carry the
new name: nobody answers from a response cache.

    .venv/bin/python bench/ogc_vs_peers.py [--runs 7] [--ours URL --database-url URL]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import (
    BENCH,
    ROOT,
    Contender,
    Ratio,
    Sample,
    console,
    free_port,
    http_contender,
    interleave,
    libpq_conninfo,
    print_ratios,
    print_timings,
    ratio,
    running_server,
    server_url,
    sqlalchemy_url,
    throwaway_database,
    time_command,
    time_http_get,
    write_results,
)
from lxml import etree
from rich.table import Table
from sqlalchemy import create_engine, text

VINTAGE = 2023
LAYER = f"comuni_{VINTAGE}"
# What our endpoints are expected to emit; the run reads the real list from our output.
DEFAULT_FIELDS = ["code", "name", "province_code", "region_code", "population_2011", "area_km2"]
# PostGIS's default for ST_AsGeoJSON, and the only precision tipg can produce.
DEFAULT_PRECISION = 9
PROBE_CODE = "071051"  # San Severo: the comune the issue uses to check positions
OURS_WFS = f"/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES={LAYER}"
OURS_OGC = f"/ogc/collections/{LAYER}/items?limit=10000"
TIPG_VENV = ROOT / "var" / "bench" / "tipg-venv"
TIPG_REQUIREMENTS = BENCH / "requirements-tipg.txt"
GML32 = "http://www.opengis.net/gml/3.2"
NUMBER = re.compile(rb"-?\d+(?:\.(\d+))?(?:[eE][-+]?\d+)?")


# --- what the table holds --------------------------------------------------------------------


@dataclass
class Reference:
    """The truth, read from the table: codes, attribute values, vertex counts, a probe vertex."""

    columns: list[str]
    values: dict[str, dict[str, Any]]  # code -> column -> value
    npoints: dict[str, int]
    probe_vertex: tuple[float, float]  # lon, lat of PROBE_CODE's first vertex
    probe_id: int
    probe_name: str

    @property
    def total_points(self) -> int:
        return sum(self.npoints.values())


def table_columns(db_url: str) -> list[str]:
    engine = create_engine(sqlalchemy_url(db_url))
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    text(
                        "select column_name from information_schema.columns "
                        "where table_schema = 'public' and table_name = 'comuni' "
                        "order by ordinal_position"
                    )
                ).scalars()
            )
    finally:
        engine.dispose()


def read_reference(db_url: str, fields: list[str]) -> Reference:
    columns = table_columns(db_url)
    engine = create_engine(sqlalchemy_url(db_url))
    try:
        with engine.connect() as conn:
            wanted = [f for f in fields if f in columns]
            select = ", ".join(f'"{c}"' for c in dict.fromkeys(["code", *wanted]))
            rows = conn.execute(
                text(
                    f"select {select}, st_npoints(geom) as _npoints from comuni where vintage = :v"
                ),
                {"v": VINTAGE},
            ).mappings()
            values, npoints = {}, {}
            for row in rows:
                values[row["code"]] = {c: row[c] for c in wanted}
                npoints[row["code"]] = row["_npoints"]
            probe = conn.execute(
                text(
                    "select id, name, st_x(p) as x, st_y(p) as y from ("
                    " select id, name, st_pointn(st_exteriorring(st_geometryn(geom, 1)), 1) as p"
                    " from comuni where vintage = :v and code = :c) s"
                ),
                {"v": VINTAGE, "c": PROBE_CODE},
            ).one()
    finally:
        engine.dispose()
    return Reference(columns, values, npoints, (probe.x, probe.y), probe.id, probe.name)


# --- what each server answered ---------------------------------------------------------------


@dataclass
class Parsed:
    """One output, reduced to what the fairness checks compare."""

    fmt: str
    bytes: int
    features: int = 0
    props: dict[str, dict[str, Any]] = field(default_factory=dict)
    npoints: dict[str, int] = field(default_factory=dict)
    fields: list[str] = field(default_factory=list)
    duplicates: int = 0
    decimals: int | None = None
    probe_coords: list[tuple[float, float]] = field(default_factory=list)
    axis_hint: str = ""  # srsName of the geometries, for GML
    notes: list[str] = field(default_factory=list)
    error: str = ""


def cgi_body(path: Path) -> tuple[int, bytes]:
    """Return (header length, first bytes of body) of a CGI output."""
    with open(path, "rb") as f:
        head = f.read(4096)
    for sep in (b"\r\n\r\n", b"\n\n"):
        i = head.find(sep)
        if i >= 0:
            return i + len(sep), head[i + len(sep) :]
    return 0, head


def _decimals(chunks: list[bytes]) -> int | None:
    best = None
    for chunk in chunks:
        for m in NUMBER.finditer(chunk):
            d = len(m.group(1) or b"")
            best = d if best is None else max(best, d)
    return best


def _count_ring_points(coords: Any) -> int:
    if not coords:
        return 0
    if isinstance(coords[0], (int, float)):
        return 1
    return sum(_count_ring_points(c) for c in coords)


def _flat_pairs(coords: Any) -> list[tuple[float, float]]:
    if coords and isinstance(coords[0], (int, float)):
        return [(coords[0], coords[1])]
    out: list[tuple[float, float]] = []
    for c in coords:
        out.extend(_flat_pairs(c))
    return out


def parse_geojson(path: Path) -> Parsed:
    raw = path.read_bytes()
    parsed = Parsed("geojson", len(raw))
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        parsed.error = f"not JSON: {exc}"
        return parsed
    feats = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(feats, list):
        parsed.error = "no features array"
        return parsed
    parsed.features = len(feats)
    fields: dict[str, None] = {}
    sample_chunks: list[bytes] = []
    for f in feats:
        props = f.get("properties") or {}
        fields.update(dict.fromkeys(props))
        code = str(props.get("code", f.get("id")))
        if code in parsed.props:
            parsed.duplicates += 1
        parsed.props[code] = props
        geom = f.get("geometry") or {}
        coords = geom.get("coordinates") or []
        parsed.npoints[code] = _count_ring_points(coords)
        if code == PROBE_CODE:
            parsed.probe_coords = _flat_pairs(coords)
    parsed.fields = list(fields)
    # Precision from the text, not from floats: 15.5 and 15.500000 differ in bytes.
    i = raw.find(b'"coordinates"')
    while i >= 0 and len(sample_chunks) < 200:
        sample_chunks.append(raw[i : i + 2000])
        i = raw.find(b'"coordinates"', i + 2000)
    parsed.decimals = _decimals([c.split(b"]]]", 1)[0] for c in sample_chunks])
    return parsed


def parse_gml(path: Path, cgi: bool = False) -> Parsed:
    skip = cgi_body(path)[0] if cgi else 0
    size = path.stat().st_size - skip
    parsed = Parsed("gml", size)
    with open(path, "rb") as f:
        f.seek(skip)
        data = f.read()
    try:
        root = etree.fromstring(data, etree.XMLParser(huge_tree=True, resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        parsed.error = f"not XML: {exc}"[:300]
        return parsed
    if etree.QName(root).localname == "ExceptionReport":
        parsed.error = "ExceptionReport: " + " ".join(root.itertext()).strip()[:300]
        return parsed
    if GML32 not in root.nsmap.values():
        parsed.notes.append("no GML 3.2 namespace on the root")
    fields: dict[str, None] = {}
    chunks: list[bytes] = []
    srs: Counter[str] = Counter()
    bounded = 0
    for member in root:
        if etree.QName(member).localname not in ("member", "featureMember", "featureMembers"):
            continue
        for feat in member:
            if not isinstance(feat.tag, str):
                continue
            parsed.features += 1
            props: dict[str, Any] = {}
            pos_lists: list[str] = []
            for child in feat:
                if not isinstance(child.tag, str):
                    continue
                q = etree.QName(child)
                if q.namespace == GML32 or q.localname == "boundedBy":
                    bounded += q.localname == "boundedBy"
                    continue
                geo = [e for e in child.iter() if etree.QName(e).localname in ("posList", "pos")]
                if geo or len(child):
                    for g in child.iter():
                        if g.get("srsName"):
                            srs[g.get("srsName")] += 1
                            break
                    pos_lists.extend(e.text or "" for e in geo)
                    continue
                nil = child.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true"
                props[q.localname] = None if nil else child.text
            fields.update(dict.fromkeys(props))
            gid = feat.get(f"{{{GML32}}}id", "")
            code = str(props.get("code") or gid.rsplit(".", 1)[-1])
            if code in parsed.props:
                parsed.duplicates += 1
            parsed.props[code] = props
            nums = [float(x) for pl in pos_lists for x in pl.split()]
            parsed.npoints[code] = len(nums) // 2
            if len(chunks) < 200 and pos_lists:
                chunks.append(pos_lists[0][:2000].encode())
            if code == PROBE_CODE:
                parsed.probe_coords = list(zip(nums[0::2], nums[1::2], strict=False))
    parsed.fields = list(fields)
    parsed.decimals = _decimals(chunks)
    if bounded:
        # Optional in GML 3.2: more bytes, same content. Said, not counted against anyone.
        parsed.notes.append(f"gml:boundedBy on {bounded:,} features (optional in GML 3.2)")
    parsed.axis_hint = ", ".join(f"{k} ×{v}" for k, v in srs.most_common(2))
    return parsed


# --- the fairness checks ---------------------------------------------------------------------


def _same_value(column: str, want: Any, got: Any) -> bool:
    if want is None:
        return got in (None, "")
    if got in (None, ""):
        return False
    if isinstance(want, float):
        try:
            return math.isclose(float(got), want, rel_tol=1e-9, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    if isinstance(want, int) and not isinstance(want, bool):
        try:
            return float(got) == want
        except (TypeError, ValueError):
            return False
    return str(got) == str(want)


def check(
    name: str, parsed: Parsed, ref: Reference, fields: list[str], precision: int
) -> dict[str, Any]:
    """Compare one output with the table; return findings, `fair` False on any real gap."""
    problems: list[str] = []
    out: dict[str, Any] = {
        "server": name,
        "format": parsed.fmt,
        "bytes": parsed.bytes,
        "features": parsed.features,
    }
    if parsed.error:
        out.update(fair=False, problems=[parsed.error])
        return out
    codes = set(parsed.props)
    want = set(ref.values)
    missing, extra = sorted(want - codes), sorted(codes - want)
    out["distinct_ids"] = len(codes)
    if missing or extra or parsed.duplicates:
        problems.append(
            f"features: {len(missing)} missing {missing[:5]}, {len(extra)} extra {extra[:5]}, "
            f"{parsed.duplicates} duplicated"
        )
    out["fields"] = parsed.fields
    absent = [f for f in fields if f not in parsed.fields]
    more = [f for f in parsed.fields if f not in fields]
    if absent or more:
        problems.append(f"attributes: lacks {absent}, has more {more}")
    wrong: dict[str, list[str]] = {}
    for code in sorted(codes & want):
        got = parsed.props[code]
        for col, value in ref.values[code].items():
            if col in got and not _same_value(col, value, got[col]):
                wrong.setdefault(col, []).append(f"{code}: {got[col]!r} != {value!r}")
    for col, diffs in wrong.items():
        problems.append(f"{col} differs in {len(diffs)} features, e.g. {diffs[0]}")
    out["values_differ"] = {c: len(d) for c, d in wrong.items()}
    total = sum(parsed.npoints.get(c, 0) for c in want)
    short = [c for c in want & codes if parsed.npoints[c] != ref.npoints[c]]
    out["vertices"] = total
    out["vertices_in_table"] = ref.total_points
    if short:
        c = short[0]
        problems.append(
            f"geometry: vertex count differs in {len(short)} features "
            f"(e.g. {c}: {parsed.npoints[c]} vs {ref.npoints[c]} in the table), "
            f"{total:,} vertices vs {ref.total_points:,}"
        )
    out["decimals"] = parsed.decimals
    if parsed.decimals != precision:
        problems.append(f"precision: {parsed.decimals} decimals, the others {precision}")
    out["probe"] = probe_check(parsed, ref)
    out["axis_srs"] = parsed.axis_hint
    out["notes"] = parsed.notes
    out["problems"] = problems
    out["fair"] = not problems
    return out


def probe_check(parsed: Parsed, ref: Reference) -> dict[str, Any]:
    """Find the table's first vertex of San Severo in the output; say axis order and rounding."""
    x, y = ref.probe_vertex
    d = parsed.decimals if parsed.decimals is not None else 15
    tol = 0.5 * 10**-d + 1e-12
    result: dict[str, Any] = {"table_lon_lat": [x, y], "decimals": d}
    for i, (a, b) in enumerate(parsed.probe_coords):
        for order, (u, v) in (("lon,lat", (a, b)), ("lat,lon", (b, a))):
            if abs(u - x) <= tol and abs(v - y) <= tol:
                result.update(found=True, axis=order, index=i, output=[a, b])
                return result
    first = parsed.probe_coords[0] if parsed.probe_coords else None
    result.update(found=False, output_first=first)
    return result


# --- the contenders --------------------------------------------------------------------------


def write_mapfile(workdir: Path, db_url: str, fields: list[str], precision: int) -> Path:
    """Write a MapServer 8 mapfile and config file for the comuni layer; return the config."""

    def q(s: str) -> str:
        return s.replace("\\", "\\\\").replace('"', '\\"')

    cols = ", ".join(dict.fromkeys(["id", *fields, "geom"]))
    data = (
        f"geom from (select {cols} from comuni where vintage = {VINTAGE}) as t "
        "using unique id using srid=4326"
    )
    mapfile = workdir / "comuni.map"
    mapfile.write_text(
        f"""MAP
  NAME "incas_bench"
  EXTENT 6 35 19 48
  PROJECTION
    "init=epsg:4326"
  END
  WEB
    METADATA
      "wfs_title" "incas bench"
      "wfs_onlineresource" "http://127.0.0.1/cgi-bin/mapserv?map={mapfile}"
      "wfs_srs" "EPSG:4326"
      "wfs_enable_request" "*"
    END
  END
  LAYER
    NAME "{LAYER}"
    TYPE POLYGON
    STATUS ON
    CONNECTIONTYPE POSTGIS
    CONNECTION "{q(libpq_conninfo(db_url))}"
    DATA "{q(data)}"
    PROJECTION
      "init=epsg:4326"
    END
    METADATA
      "wfs_title" "{LAYER}"
      "wfs_featureid" "code"
      "gml_include_items" "{",".join(fields)}"
      "gml_types" "auto"
      "wfs_geometry_precision" "{precision}"
    END
  END
END
"""
    )
    config = workdir / "mapserver.conf"
    config.write_text(
        f"""CONFIG
  ENV
    MS_MAP_PATTERN "^{re.escape(str(workdir))}/"
  END
END
"""
    )
    return config


def mapserver_contender(workdir: Path, config: Path) -> Contender:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MAPSERVER_CONFIG_FILE": str(config),
        "REQUEST_METHOD": "GET",
        "QUERY_STRING": (
            f"map={workdir / 'comuni.map'}&SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature"
            f"&TYPENAMES={LAYER}"
        ),
    }
    mapserv = shutil.which("mapserv") or "mapserv"

    def run(out: Path) -> Sample:
        s = time_command([mapserv], out=out, env=env)
        skip, body = cgi_body(out)
        s.bytes -= skip
        if s.ok and b"ExceptionReport" in body[:600]:
            s.ok, s.note = False, "ExceptionReport"
        return s

    return Contender("mapserver", run, "MapServer 8 CGI · WFS GML 3.2")


def psql_sql(fields: list[str], precision: int) -> str:
    props = ", ".join(f"'{f}', \"{f}\"" for f in fields)
    return (
        "copy (select json_build_object("
        "'type', 'FeatureCollection', "
        "'features', coalesce(json_agg(json_build_object("
        "'type', 'Feature', 'id', code, "
        f"'geometry', st_asgeojson(geom, {precision})::json, "
        f"'properties', json_build_object({props})) order by code), '[]'::json)) "
        f"from comuni where vintage = {VINTAGE}) to stdout"
    )


def psql_contender(db_url: str, fields: list[str], precision: int) -> Contender:
    cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db_url, "-c"]
    cmd.append(psql_sql(fields, precision))
    env = {**os.environ, "PGAPPNAME": "incas-bench"}
    return Contender(
        "psql",
        lambda out: time_command(cmd, out=out, env=env),
        "raw PostGIS · psql copy json",
    )


def ensure_tipg() -> Path | None:
    """Return tipg's uvicorn, installing tipg into its own venv first if needed."""
    uvicorn = TIPG_VENV / "bin" / "uvicorn"
    stamp = TIPG_VENV / ".installed"
    if uvicorn.exists() and stamp.exists() and stamp.stat().st_mtime >= _mtime(TIPG_REQUIREMENTS):
        return uvicorn
    console.print(f"installing tipg into {TIPG_VENV.relative_to(ROOT)} (its own venv) …")
    try:
        if not (TIPG_VENV / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(TIPG_VENV)], check=True)
        subprocess.run(
            [str(TIPG_VENV / "bin" / "pip"), "install", "-q", "-r", str(TIPG_REQUIREMENTS)],
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        console.print(f"[red]cannot install tipg ({exc}); tipg is left out[/]")
        return None
    stamp.touch()
    return uvicorn


def _mtime(path: Path) -> float:
    return path.stat().st_mtime if path.exists() else 0.0


def tipg_items_url(base: str, fields: list[str]) -> str:
    return (
        f"{base}/collections/public.comuni/items?limit=10000&vintage={VINTAGE}"
        f"&properties={','.join(fields)}"
    )


# --- the run ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--runs", type=int, default=7, help="timed runs of each (≥ 7; default 7)")
    p.add_argument("--ours", metavar="URL", help="a running server of ours (needs --database-url)")
    p.add_argument(
        "--database-url",
        metavar="URL",
        help="an existing database with the 2023 comuni, instead of a throwaway one",
    )
    p.add_argument(
        "--precision",
        type=int,
        help="decimals for MapServer and psql (default: what ours emits, else "
        f"{DEFAULT_PRECISION}, the only one tipg can produce)",
    )
    p.add_argument("--no-write", action="store_true", help="skip the rename (no-cache) check")
    p.add_argument("--keep-db", action="store_true", help="keep the throwaway database")
    args = p.parse_args(argv)
    if args.runs < 7:
        p.error("--runs must be at least 7: the issue asks for the median of ≥ 7 runs")
    if args.ours and not args.database_url:
        p.error("--ours needs --database-url: the database that server reads, for the peers")
    return args


def _stop_on_sigterm() -> None:
    def handler(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _stop_on_sigterm()
    for tool, package in (("curl", "curl"), ("psql", "postgresql-client")):
        if not shutil.which(tool):
            console.print(f"[red]{tool} is missing: apt-get install {package}[/]")
            return 2
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="incas-bench-")))
        if args.database_url:
            db_url = args.database_url
            console.print(f"database: {db_url.rsplit('/', 1)[-1]} (given)")
        else:
            console.print(f"creating a throwaway database on {_where(server_url())} …")
            db_url = stack.enter_context(throwaway_database((VINTAGE,), keep=args.keep_db))
            console.print(f"database: {db_url.rsplit('/', 1)[-1]} (migrated, {LAYER} loaded)")
        return run(args, stack, workdir, db_url)


def _where(url: str) -> str:
    return url.split("@", 1)[-1].rsplit("/", 1)[0]


def start_ours(stack: ExitStack, workdir: Path, db_url: str) -> str:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url}
    cmd = [
        str(ROOT / ".venv" / "bin" / "uvicorn"),
        "app.main:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    server = stack.enter_context(
        running_server("ours", cmd, port=port, env=env, cwd=ROOT, log=workdir / "ours.log")
    )
    return server.base_url


def start_tipg(stack: ExitStack, workdir: Path, db_url: str) -> str | None:
    uvicorn = ensure_tipg()
    if uvicorn is None:
        return None
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "DATABASE_URL": db_url,
        "TIPG_DB_SCHEMAS": '["public"]',
        "TIPG_DB_TABLES": '["public.comuni"]',
        "TIPG_MAX_FEATURES_PER_QUERY": "10000",
        # The catalog (table list) is tipg's metadata cache, not a response cache; keep it from
        # refreshing in the middle of a run.
        "TIPG_CATALOG_TTL": "3600",
    }
    cmd = [
        str(uvicorn),
        "tipg.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    # cwd: an empty folder, so that tipg reads no stray .env file.
    server = stack.enter_context(
        running_server(
            "tipg",
            cmd,
            port=port,
            env=env,
            cwd=workdir,
            ready_path="/healthz",
            log=workdir / "tipg.log",
        )
    )
    return server.base_url


def run(args: argparse.Namespace, stack: ExitStack, workdir: Path, db_url: str) -> int:
    ours_down = ""
    if args.ours:
        ours_base = args.ours.rstrip("/")
    else:
        try:
            ours_base = start_ours(stack, workdir, db_url)
        except RuntimeError as exc:
            # A half-built working tree must not cost us the peers' figures.
            ours_base, ours_down = "", f"our server did not start: {exc}"
            console.print(f"[bold red]{ours_down}[/]")
    console.print(f"ours: {ours_base or 'not running'}")
    tipg_base = start_tipg(stack, workdir, db_url)
    console.print(f"tipg: {tipg_base or 'left out'}")
    have_mapserv = shutil.which("mapserv") is not None
    if not have_mapserv:
        console.print("[red]mapserv is missing (apt-get install cgi-mapserver); left out[/]")

    # 1. Ask ours first (also its warm-up): what it emits sets the peers' attributes/precision.
    probes: dict[str, Parsed] = {}
    missing: dict[str, str] = {}
    for name, path, parse in (
        ("ours_wfs", OURS_WFS, parse_gml),
        ("ours_ogc", OURS_OGC, parse_geojson),
    ):
        if ours_down:
            missing[name] = "server did not start"
            continue
        out = workdir / f"{name}.probe"
        s = time_http_get(ours_base + path, out=out)
        if not s.ok:
            missing[name] = s.note or "failed"
            console.print(
                f"[bold yellow]ours is missing: GET {path} → {s.note}[/] "
                "(the endpoint is not there yet); timing the peers only for this comparison"
            )
            continue
        probes[name] = parse(out)
    fields, precision, decided = decide_fields_precision(args, probes, db_url)
    for line in decided:
        console.print(line)
    ref = read_reference(db_url, fields)
    fields = [f for f in fields if f in ref.columns]

    # 2. The peers, configured to do the same work.
    contenders: list[Contender] = []
    if "ours_wfs" in probes:
        contenders.append(
            http_contender("ours_wfs", ours_base + OURS_WFS, "ours · WFS GetFeature GML 3.2")
        )
    if have_mapserv:
        config = write_mapfile(workdir, db_url, fields, precision)
        contenders.append(mapserver_contender(workdir, config))
    if "ours_ogc" in probes:
        contenders.append(
            http_contender("ours_ogc", ours_base + OURS_OGC, "ours · OGC API items GeoJSON")
        )
    if tipg_base:
        url = tipg_items_url(tipg_base, fields)
        contenders.append(http_contender("tipg", url, "tipg · OGC API items GeoJSON"))
    contenders.append(psql_contender(db_url, fields, precision))

    # 3. Warm-up run of each peer, then check every output against the table.
    parsers = {"mapserver": lambda p: parse_gml(p, cgi=True), "tipg": parse_geojson}
    for c in contenders:
        if c.name in probes:
            continue
        out = workdir / f"{c.name}.probe"
        s = c.run(out)
        if not s.ok:
            console.print(f"[red]{c.name} failed its warm-up: {s.note}[/]")
        probes[c.name] = parsers.get(c.name, parse_geojson)(out)
    fairness = {c.name: check(c.name, probes[c.name], ref, fields, precision) for c in contenders}
    console.print(f"attributes compared: {', '.join(fields)}")
    print_fairness(fairness, contenders, fields)

    # 4. Timed, interleaved rounds, with one comune renamed for one round.
    contenders = [c for c in contenders if not probes[c.name].error]
    rename = Rename(db_url, ref, args.runs // 2, enabled=not args.no_write)
    console.print(
        f"\n{args.runs} interleaved rounds of {len(contenders)} "
        f"({', '.join(c.name for c in contenders)}):"
    )
    try:
        series = interleave(
            contenders,
            args.runs,
            workdir=workdir,
            before_round=rename.before_round,
            after_run=rename.after_run,
        )
    finally:
        rename.restore()
    summaries = {name: s.summary() for name, s in series.items()}
    print_timings(
        f"{LAYER}: {len(ref.values):,} features, median of {args.runs}",
        [summaries[c.name] for c in contenders],
    )
    ratios = [
        Ratio(
            "ours / MapServer · WFS GML",
            ratio(summaries.get("ours_wfs"), summaries.get("mapserver")),
            1.0,
            True,
            _why(missing, "ours_wfs"),
        ),
        Ratio(
            "ours / tipg · GeoJSON",
            ratio(summaries.get("ours_ogc"), summaries.get("tipg")),
            0.5,
            False,
            _why(missing, "ours_ogc"),
        ),
        Ratio(
            "ours / raw psql · GeoJSON",
            ratio(summaries.get("ours_ogc"), summaries.get("psql")),
            1.5,
            False,
            _why(missing, "ours_ogc"),
        ),
    ]
    print_ratios("ratios of medians (ours / peer)", ratios)
    rename.report()
    unfair = [n for n, f in fairness.items() if not f["fair"]]
    if unfair:
        console.print(
            f"[yellow]not equal work: {', '.join(unfair)} (see the fairness table); "
            "their ratios compare unequal outputs[/]"
        )
    path = write_results(
        "ogc_vs_peers",
        {
            "layer": LAYER,
            "runs": args.runs,
            "fields": fields,
            "precision": precision,
            "decided": decided,
            "ours": {"base": ours_base, "missing": missing},
            "versions": versions(db_url, tipg_base),
            "fairness": fairness,
            "no_cache_check": rename.result(),
            "timings": summaries,
            "ratios": [
                {"label": r.label, "value": r.value, "target": r.target, "met": r.met}
                for r in ratios
            ],
        },
    )
    console.print(f"results: {path.relative_to(ROOT)}")
    return 0


def _why(missing: dict[str, str], name: str) -> str:
    return f"(ours: {missing[name]})" if name in missing else ""


def decide_fields_precision(
    args: argparse.Namespace, probes: dict[str, Parsed], db_url: str
) -> tuple[list[str], int, list[str]]:
    """Choose the attribute list and precision the peers must produce, and say why."""
    notes: list[str] = []
    fields = list(DEFAULT_FIELDS)
    sets = {n: p.fields for n, p in probes.items() if not p.error}
    if sets:
        first = next(iter(sets.values()))
        if any(s != first for s in sets.values()):
            notes.append(f"[yellow]our two endpoints emit different attributes: {sets}[/]")
        fields = list(first)
        if fields != DEFAULT_FIELDS:
            notes.append(f"ours emits {fields} (expected {DEFAULT_FIELDS}); the peers follow ours")
    ref_cols = table_columns(db_url)
    unknown = [f for f in fields if f not in ref_cols]
    if unknown:
        notes.append(
            f"[yellow]ours emits {unknown}, which are not columns of comuni: the peers cannot "
            "produce them, and they are left out of the comparison[/]"
        )
    decimals = {n: p.decimals for n, p in probes.items() if not p.error}
    if args.precision is not None:
        precision = args.precision
        notes.append(f"precision: {precision} decimals (--precision)")
    elif decimals:
        precision = max(d for d in decimals.values() if d is not None)
        if len(set(decimals.values())) > 1:
            notes.append(f"[yellow]our endpoints emit different precisions: {decimals}[/]")
        notes.append(f"precision: {precision} decimals, as ours emits")
    else:
        precision = DEFAULT_PRECISION
        notes.append(f"precision: {precision} decimals (ours not reachable; tipg's only one)")
    if precision != DEFAULT_PRECISION:
        notes.append(
            f"[yellow]tipg always emits {DEFAULT_PRECISION} decimals (ST_AsGeoJSON's default; "
            "it has no setting for it): its output is bigger than the others'[/]"
        )
    return fields, precision, notes


def _fields_cell(got: list[str], want: list[str]) -> str:
    if set(got) == set(want):
        return f"{len(got)}, same"
    return ",".join(got)


def print_fairness(
    fairness: dict[str, dict[str, Any]], contenders: list[Contender], fields: list[str]
) -> None:
    table = Table(title="fairness: every output against the table", title_justify="left")
    for col in ("server", "features", "ids", "attributes", "vertices", "dec", "probe", "bytes"):
        table.add_column(col)
    table.add_column("verdict")
    for c in contenders:
        f = fairness[c.name]
        probe = f.get("probe") or {}
        probe_s = (
            f"{probe.get('axis')} ✓" if probe.get("found") else f"✗ {probe.get('output_first')}"
        )
        table.add_row(
            c.name,
            f"{f.get('features', 0):,}",
            f"{f.get('distinct_ids', 0):,}",
            _fields_cell(f.get("fields", []), fields),
            f"{f.get('vertices', 0):,}",
            str(f.get("decimals")),
            probe_s if probe else "—",
            f"{f.get('bytes', 0) / 1e6:.1f} MB",
            "[green]same work[/]" if f["fair"] else "[red]differs[/]",
        )
    console.print(table)
    for c in contenders:
        for p in fairness[c.name].get("problems", []):
            console.print(f"  [red]{c.name}[/]: {p}")
        for n in fairness[c.name].get("notes", []):
            console.print(f"  [yellow]{c.name}[/]: {n}")


class Rename:
    """Rename one comune for one round; that round's outputs, and only those, must show it."""

    def __init__(self, db_url: str, ref: Reference, round_: int, enabled: bool = True) -> None:
        self.engine = create_engine(sqlalchemy_url(db_url)) if enabled else None
        self.ref = ref
        self.round = round_
        self.token = f"bench-{uuid.uuid4().hex[:8]}"
        self.renamed = False
        self.seen: dict[str, list[bool]] = {}
        self.bad: list[str] = []

    def _set_name(self, name: str) -> None:
        assert self.engine is not None
        with self.engine.begin() as conn:
            conn.execute(
                text("update comuni set name = :n where id = :id"),
                {"n": name, "id": self.ref.probe_id},
            )

    def before_round(self, r: int) -> None:
        if self.engine is None:
            return
        if r == self.round:
            self._set_name(f"{self.ref.probe_name} {self.token}")
            self.renamed = True
        elif self.renamed:
            self.restore()

    def after_run(self, r: int, c: Contender, out: Path, sample: Sample) -> None:
        if self.engine is None or not sample.ok:
            return
        shows = self.token.encode() in out.read_bytes()
        self.seen.setdefault(c.name, []).append(shows)
        if shows != (r == self.round):
            self.bad.append(f"{c.name} round {r + 1}: renamed={r == self.round}, shows={shows}")

    def restore(self) -> None:
        if self.engine is not None and self.renamed:
            self._set_name(self.ref.probe_name)
            self.renamed = False

    def result(self) -> dict[str, Any]:
        if self.engine is None:
            return {"done": False}
        return {
            "done": True,
            "comune": PROBE_CODE,
            "round": self.round + 1,
            "shows_by_round": self.seen,
            "failures": self.bad,
            "passed": not self.bad and bool(self.seen),
        }

    def report(self) -> None:
        if self.engine is None:
            console.print("[yellow]no-cache check skipped (--no-write)[/]")
            return
        if self.bad:
            for b in self.bad:
                console.print(f"[red]no-cache check failed: {b}[/]")
        else:
            console.print(
                f"no-cache check: {PROBE_CODE} renamed in round {self.round + 1} only; every "
                f"output of that round showed it and no other did "
                f"({', '.join(self.seen)}) [green]✓[/]"
            )
        self.engine.dispose()


def versions(db_url: str, tipg_base: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    if shutil.which("mapserv"):
        v = subprocess.run(["mapserv", "-v"], capture_output=True, text=True).stdout
        out["mapserver"] = v.split(" OUTPUT=")[0].strip()
    if tipg_base:
        out["tipg"] = _pip_version("tipg")
    engine = create_engine(sqlalchemy_url(db_url))
    with engine.connect() as conn:
        out["postgres"] = conn.scalar(text("show server_version"))
        out["postgis"] = conn.scalar(text("select postgis_lib_version()"))
    engine.dispose()
    out["psql"] = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout
    out["curl"] = subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout
    out["psql"], out["curl"] = out["psql"].strip(), out["curl"].split("\n")[0]
    return out


def _pip_version(package: str) -> str:
    proc = subprocess.run(
        [str(TIPG_VENV / "bin" / "python"), "-m", "pip", "show", package],
        capture_output=True,
        text=True,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("Version:"):
            return line.split(":", 1)[1].strip()
    return "?"


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        console.print("[yellow]interrupted: servers stopped, bench database dropped[/]")
        sys.exit(130)
