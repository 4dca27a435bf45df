"""Benchmark: how long the `incas` commands that read the database take, start to exit.

Issue 15 asks that the common commands start in under 1 s. Each command runs as a user runs it,
`.venv/bin/incas ...` with DATABASE_URL set, and is timed from fork to exit: the interpreter,
the imports, the connection, the query and the printing. The commands run round by round in a
rotating order (`common.interleave`), so noise from other work on the machine hits all of them.
Each command runs once untimed first, which also writes Python's bytecode cache as a user's
first run does (PYTHONDONTWRITEBYTECODE is dropped). Beside the wall-clock time, the CPU time
the command used (user + system, the kernel's accounting of the child): on a machine shared
with other work it varies less than the wall clock.

One run creates a throwaway database with the 2023 comuni, one wave and one analyst token, or
uses `--database-url` (read only: the commands only list). `--against DIR` also times the
`app` package of another checkout (e.g. `git archive main | tar -x -C DIR`) with this venv, in
the same rounds: an A/B comparison on the same database under the same noise.

    .venv/bin/python bench/cli_startup.py [--runs 10] [--database-url URL --survey CODE]
                                          [--against DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
from collections.abc import Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import (
    Contender,
    Sample,
    console,
    interleave,
    print_timings,
    throwaway_database,
    time_command,
    write_results,
)
from sqlalchemy.orm import Session

from app.census.surveys import SurveyIn, create_survey
from app.census.tokens import create_token
from app.db import make_engine

ROOT = Path(__file__).resolve().parents[1]
INCAS = ROOT / ".venv" / "bin" / "incas"
TARGET_S = 1.0
WAVE = "bench-cli"


def commands(survey: str) -> dict[str, list[str]]:
    """Return the common commands that open the database, by name."""
    return {
        "comuni vintages": ["comuni", "vintages"],
        "surveys list": ["surveys", "list"],
        "tokens list": ["tokens", "list"],
        "case-areas list": ["case-areas", "list", "--survey", survey],
        "--help": ["--help"],
    }


def cpu_timed(name: str, cmd: Sequence[str], env: dict[str, str], cpu: dict) -> Contender:
    """Time a command as `common.command_contender` does, and keep its CPU seconds in `cpu`."""

    def run(out: Path) -> Sample:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        sample = time_command(cmd, out=out, env=env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        cpu.setdefault(name, []).append(used)
        return sample

    return Contender(name, run)


@contextmanager
def database(url: str | None):
    """Yield the URL of a database with a wave to list: the given one, or a throwaway one."""
    if url:
        yield url
        return
    with throwaway_database() as url:
        engine = make_engine(url)
        now = datetime.now(UTC)
        with Session(engine) as session, session.begin():
            create_survey(
                session,
                SurveyIn(
                    code=WAVE,
                    title="CLI start-up",
                    vintage=2023,
                    opens_at=now,
                    closes_at=now + timedelta(days=90),
                ),  # fmt: skip
            )
            create_token(session, "analyst", label="bench cli start-up")
        engine.dispose()
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--database-url", help="an existing database (only read)")
    parser.add_argument("--survey", default=WAVE, help="the wave `case-areas list` lists")
    parser.add_argument("--against", type=Path, help="also time the app package of this checkout")
    args = parser.parse_args()

    with database(args.database_url) as url, tempfile.TemporaryDirectory() as tmp:
        # As a user runs it: Python caches the compiled modules (an untimed first run writes them).
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["DATABASE_URL"] = url
        cpu: dict[str, list[float]] = {}
        contenders = [
            cpu_timed(name, [str(INCAS), *argv], env, cpu)
            for name, argv in commands(args.survey).items()
        ]
        if args.against:
            # Ahead of the venv's editable install, which setuptools puts last on sys.path.
            other = {**env, "PYTHONPATH": str(args.against.resolve())}
            contenders += [
                cpu_timed(f"{name} ({args.against.name})", [str(INCAS), *argv], other, cpu)
                for name, argv in commands(args.survey).items()
            ]
        for c in contenders:
            c.run(Path(tmp) / "warm-up.out")
        cpu.clear()
        console.print(f"load average before: {os.getloadavg()}")
        series = interleave(contenders, args.runs, workdir=Path(tmp))
        console.print(f"load average after: {os.getloadavg()}")

    summaries = [{**s.summary(), "cpu_s": cpu[name], "cpu_median_s": statistics.median(cpu[name])}
                 for name, s in series.items()]  # fmt: skip
    against = f"; ({args.against.name}) is {args.against}" if args.against else ""
    print_timings(f"incas start to exit, {args.runs} runs each ({ROOT}{against})", summaries)
    for s in summaries:
        console.print(f"  {s['name']}: CPU median {s['cpu_median_s']:.3f} s")
    ours = summaries[: len(commands(args.survey))]
    slow = [s["name"] for s in ours if not s["median_s"] or s["median_s"] >= TARGET_S]
    console.print(
        f"target: every median < {TARGET_S:.1f} s: "
        + ("[green]met[/]" if not slow else f"[red]not met[/] ({', '.join(slow)})")
    )
    path = write_results("cli_startup", {"against": args.against, "runs": args.runs,
                                         "load": os.getloadavg(), "series": summaries})  # fmt: skip
    console.print(f"written {path}")
    sys.exit(0 if all(s["ok_runs"] == s["runs"] for s in summaries) else 1)


if __name__ == "__main__":
    main()
