"""`incas follow-up export`: the follow-up list as CSV, from the command line."""

from __future__ import annotations

import csv
import os
import subprocess

from app.settings import ROOT

INCAS = str(ROOT / ".venv" / "bin" / "incas")


def incas(truth_wave, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": truth_wave.url, "COLUMNS": "200"}
    return subprocess.run([INCAS, *args], env=env, capture_output=True, text=True, timeout=300)


def test_export_writes_every_silent_comune(truth_wave, tmp_path):
    out = tmp_path / "follow-up.csv"

    r = incas(truth_wave, "follow-up", "export", "--survey", "truth", "--out", str(out))

    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    silent = truth_wave.truth.silent()
    assert [int(row["rank"]) for row in rows] == list(range(1, len(silent) + 1))
    assert {row["code"] for row in rows} == set(silent)
    assert all(row["reasons"] for row in rows)
    assert f"wrote {len(silent)} comuni" in r.stdout and "model estimates" in r.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["follow-up.csv"]


def test_export_of_one_province_never_overwrites(truth_wave, tmp_path):
    out = tmp_path / "rg.csv"
    out.write_text("kept\n")

    refused = incas(truth_wave, "follow-up", "export", "--survey", "truth", "--province", "RG",
                    "--out", str(out))  # fmt: skip
    kept = out.read_text()
    out.unlink()
    r = incas(truth_wave, "follow-up", "export", "--survey", "truth", "--province", "RG",
              "--out", str(out))  # fmt: skip

    assert refused.returncode == 1 and "exists" in refused.stderr and kept == "kept\n"
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows and {row["province_acronym"] for row in rows} == {"RG"}
