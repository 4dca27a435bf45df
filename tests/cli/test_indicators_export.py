"""`incas indicators export`: CSV and GeoPackage, full or public."""

from __future__ import annotations

import csv
import subprocess

import pyogrio
import pytest

pytestmark = pytest.mark.database("national")


def incas(cli_env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [".venv/bin/incas", *args], env=cli_env, capture_output=True, text=True, timeout=300
    )


def test_export_csv_and_gpkg(national_survey, cli_env, tmp_path):
    full = tmp_path / "comuni.csv"
    public = tmp_path / "provinces.gpkg"

    r1 = incas(cli_env, "indicators", "export", "--survey", national_survey, "--level", "comune",
               "--out", str(full))  # fmt: skip
    r2 = incas(cli_env, "indicators", "export", "--survey", national_survey, "--level",
               "province", "--out", str(public), "--public")  # fmt: skip

    assert r1.returncode == 0, r1.stderr
    assert r2.returncode == 0, r2.stderr
    rows = list(csv.DictReader(full.open()))
    assert len(rows) == 7903 and all(r["suppressed"] == "False" for r in rows)
    provinces = pyogrio.read_dataframe(public)
    assert len(provinces) == 107
    assert set(provinces.geom_type) == {"MultiPolygon"}
    assert provinces["suppressed"].any()
    withheld = provinces[provinces["suppressed_fields"].str.contains("informal_settlements")]
    assert withheld["informal_settlements"].isna().all()
    assert "wrote 107 province rows" in r2.stdout
    assert list(tmp_path.iterdir()) and not [p for p in tmp_path.iterdir() if "partial" in p.name]


def test_export_refuses_bad_arguments(cli_env, tmp_path):
    r = incas(cli_env, "indicators", "export", "--survey", "x", "--level", "planet",
              "--out", str(tmp_path / "x.csv"))  # fmt: skip

    assert r.returncode == 1 and "--level must be one of" in r.stderr
