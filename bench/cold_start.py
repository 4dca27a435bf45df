"""Benchmark: the first case-area selection after the service starts, on new data, over HTTP.

Issue 12 asks that the first `POST /api/v1/surveys/{code}/case-areas` after start, on data
whose hot spots are not stored yet, answers in <= 5 s. One run creates a throwaway database with
the 2021 comuni and the tests' synthetic national wave (4,000 responses, seed 7) and an analyst
token; then, per round:

1. starts `incas serve --workers N` as `make run` does (default: the cores) and times it until
   `/health` answers 200 (uvicorn answers only after the lifespan's warm-up);
2. corrects one response (its notes), so the data has a new fingerprint that the warm-up never
   saw: nothing is stored or cached for it, and the selection computes the indicator tables,
   the suppression pattern and Gi* (999 permutations) afresh;
3. times the first selection over HTTP (curl-like: request to last byte), then a second one on
   the same data (hot spots stored);
4. stops the server.

    .venv/bin/python bench/cold_start.py [--runs 5] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.request import Request, urlopen

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' data generator

from case_areas import WAVE, load_wave, touch_response  # noqa: E402
from common import (  # noqa: E402
    console,
    free_port,
    running_server,
    throwaway_database,
    write_results,
)
from rich.table import Table  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.census.tokens import create_token  # noqa: E402
from app.db import make_engine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 5.0


def analyst_secret(engine) -> str:
    """Issue an analyst token for the benchmark; return its secret."""
    with Session(engine) as session, session.begin():
        _token, secret = create_token(session, "analyst", label="bench cold start")
        return secret


def timed_selection(base: str, secret: str) -> float:
    """POST one default selection; return the seconds from request to the last byte."""
    request = Request(
        f"{base}/api/v1/surveys/{WAVE}/case-areas",
        data=b"{}",
        method="POST",
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
    )
    started = time.perf_counter()
    with urlopen(request, timeout=120) as resp:  # noqa: S310 - loopback only
        body = resp.read()
        status = resp.status
    seconds = time.perf_counter() - started
    if status != 201 or len(json.loads(body)["areas"]) == 0:
        raise RuntimeError(f"selection answered {status}: {body[:300]!r}")
    return seconds


def one_round(url: str, engine, secret: str, n: int, workers: int) -> dict[str, float]:
    """Start a server on new data, time its start, its first and its second selection."""
    port = free_port()
    cmd = [str(ROOT / ".venv/bin/incas"), "serve", "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers)]  # fmt: skip
    log = Path("/tmp") / f"incas-cold-{port}.log"
    started = time.perf_counter()
    env = {**os.environ, "DATABASE_URL": url}
    with running_server("incas", cmd, port=port, env=env, log=log, timeout=120) as server:
        ready = time.perf_counter() - started
        touch_response(engine, n)
        first = timed_selection(server.base_url, secret)
        second = timed_selection(server.base_url, secret)
    return {"start_s": ready, "first_s": first, "second_s": second}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds, a new server each")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    with throwaway_database(vintages=(2021,)) as url:
        engine = make_engine(url)
        console.print("importing the synthetic national wave (4,000 responses)...")
        load_wave(engine)
        secret = analyst_secret(engine)
        rounds = []
        for n in range(1, args.runs + 1):
            rounds.append(one_round(url, engine, secret, n, args.workers))
            console.print(f"round {n}: " + ", ".join(f"{k} {v:.3f}" for k, v in rounds[-1].items()))
        engine.dispose()

    table = Table(title=f"Cold start over HTTP, incas serve --workers {args.workers}",
                  title_justify="left")  # fmt: skip
    for col in ("what", "median s", "min s", "max s", "target"):
        table.add_column(col, justify="left" if col == "what" else "right")
    labels = {
        "start_s": ("spawn until /health answers (warm-up included)", ""),
        "first_s": ("first selection, new data (fresh Gi*)", f"<= {TARGET_S:.0f} s"),
        "second_s": ("second selection, same data (Gi* stored)", ""),
    }
    for key, (label, target) in labels.items():
        values = [r[key] for r in rounds]
        table.add_row(label, f"{statistics.median(values):.3f}", f"{min(values):.3f}",
                      f"{max(values):.3f}", target)  # fmt: skip
    console.print(table)
    path = write_results("cold_start", {"workers": args.workers, "rounds": rounds})
    console.print(f"results: {path}")


if __name__ == "__main__":
    main()
