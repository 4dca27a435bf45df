"""Helpers for the tests that drive real clients: GDAL, OWSLib and QGIS."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.geo.reference.boundary_models import Comune

ROOT = Path(__file__).resolve().parents[2]
QGIS_PROBE = ROOT / "tests" / "clients" / "qgis_probe.py"
SAN_SEVERO = "071051"


def san_severo(engine, vintage: int) -> dict:
    """What the database says about San Severo in a vintage: centroid and point on surface."""
    with Session(engine) as session:
        row = session.execute(
            select(
                func.ST_X(func.ST_Centroid(Comune.geom)),
                func.ST_Y(func.ST_Centroid(Comune.geom)),
                func.ST_X(func.ST_PointOnSurface(Comune.geom)),
                func.ST_Y(func.ST_PointOnSurface(Comune.geom)),
            ).where(Comune.vintage == vintage, Comune.code == SAN_SEVERO)
        ).one()
    return {"centroid": (row[0], row[1]), "point": (row[2], row[3])}


def near(point, expected, tolerance: float = 1e-4) -> bool:
    return abs(point[0] - expected[0]) < tolerance and abs(point[1] - expected[1]) < tolerance


def qgis_spec(
    protocol: str, url: str, layer: str, secret: str | None = None,
    probe: tuple[str, str | None] = ("code", SAN_SEVERO),
) -> dict:  # fmt: skip
    """Describe a layer for the QGIS probe: the protocol (wfs-2.0, wfs-1.1, oapif) and a probe.

    The probe is the field and value of a feature whose centroid the report gives.
    """
    out: dict = {"probe_field": probe[0], "probe_code": probe[1]}
    if protocol == "oapif":
        out |= {"provider": "OAPIF", "url": f"{url}/ogc", "typename": layer}
    else:
        version = "2.0.0" if protocol == "wfs-2.0" else "1.1.0"
        out |= {"provider": "WFS", "url": f"{url}/wfs", "typename": f"incas:{layer}"}
        out |= {"version": version, "srsname": "EPSG:4326"}
        if version == "2.0.0":
            out |= {"paging": True, "page_size": 1000}
    if secret:
        out |= {"username": "qgis", "password": secret}
    return out


def run_qgis(specs: list[dict], timeout: int = 300) -> list[dict]:
    """Run the QGIS probe with the system Python (python3-qgis); return its reports."""
    python = shutil.which("python3", path="/usr/bin")
    assert python, "the system /usr/bin/python3 is needed for python3-qgis"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [python, str(QGIS_PROBE), json.dumps(specs)],
        capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT,
    )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.startswith("[")]
    assert lines, f"QGIS said nothing (exit {done.returncode}): {done.stderr[-3000:]}"
    return json.loads(lines[-1])


def run(*args: str, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run a GDAL command line; fail with its output if it fails."""
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )
    assert done.returncode == 0, f"{' '.join(args)}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done
