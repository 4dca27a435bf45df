"""Print the figures README.md quotes about the national test wave's case areas.

README's "Case areas" section gives, as an example of merging, the area around Foggia: how many
cluster and hot-spot groups merge into it, how many comuni it holds and in which provinces. This
prints them from a fresh default selection, so that the README says what the code does:

    .venv/bin/python bench/case_area_figures.py                          # a throwaway database
    .venv/bin/python bench/case_area_figures.py --database-url URL --survey CODE

Without `--database-url` it builds the test suite's synthetic national wave (2021 comuni, 4,000
responses, seed 7) in a throwaway database, as bench/case_areas.py does. The selection runs in a
transaction that is rolled back: nothing is stored.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' data generator

from case_areas import WAVE, load_wave  # noqa: E402
from common import console, throwaway_database  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.census.surveys import get_survey  # noqa: E402
from app.census.tokens import Principal  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.geo.case_areas.params import Parameters  # noqa: E402
from app.geo.case_areas.runs import run_selection  # noqa: E402
from app.geo.reference.boundary_models import Comune  # noqa: E402
from app.wording import counted  # noqa: E402

FOGGIA = "071024"
SOURCES = {"cluster": "settlement cluster", "hotspot": "hot-spot group"}
FIGURES = Principal(None, "analyst", "bench figures", frozenset(), None)


def foggia_figures(session: Session, code: str) -> list[str]:
    """Describe the candidate holding Foggia: its merged groups, comuni and provinces."""
    survey = get_survey(session, code)
    run = run_selection(session, survey, Parameters(), FIGURES)
    trace = run.trace
    entry = next(c for c in trace["candidates"] if FOGGIA in c["comuni"] and len(c["comuni"]) > 1)
    merge = next((m for m in trace["merges"] if m["into"] == entry["key"]), None)
    kinds = Counter(SOURCES.get(s["kind"], s["kind"]) for s in entry["sources"])
    provinces = session.execute(
        select(Comune.province_name, Comune.province_acronym).where(
            Comune.vintage == survey.vintage, Comune.code.in_(entry["comuni"])
        )
    ).all()
    by_province = Counter(f"{name} ({acronym})" for name, acronym in provinces)
    rank = next((a["rank"] for a in trace["areas"] if a["key"] == entry["key"]), None)
    parts = len(merge["parts"]) if merge else 1
    return [
        f"wave {survey.code}: {counted(len(trace['candidates']), 'candidate')}, "
        f"{counted(len(trace['areas']), 'area')} selected",
        f"the area holding Foggia ({FOGGIA}): {counted(parts, 'group')} merged "
        f"({', '.join(counted(n, kind) for kind, n in sorted(kinds.items()))}) "
        f"into {counted(len(entry['comuni']), 'comune', 'comuni')}",
        "  by province: "
        + ", ".join(
            f"{counted(n, 'comune', 'comuni')} in {p}" for p, n in by_province.most_common()
        ),
        f"  selected as area {rank}" if rank else "  not selected",
        f"  comuni: {', '.join(entry['comuni'])}",
        "the areas selected:",
        *_areas(session, survey.vintage, trace),
    ]


def _areas(session: Session, vintage: int, trace: dict) -> list[str]:
    """One line per selected area: rank, comuni by province, and the groups merged into it."""
    merged = {m["into"]: len(m["parts"]) for m in trace["merges"]}
    lines = []
    for area in trace["areas"]:
        entry = trace["candidates"][area["candidate"]]
        acronyms = session.scalars(
            select(Comune.province_acronym).where(
                Comune.vintage == vintage, Comune.code.in_(entry["comuni"])
            )
        ).all()
        provinces = ", ".join(f"{n} {p}" for p, n in Counter(acronyms).most_common())
        groups = merged.get(entry["key"])
        size = counted(len(entry["comuni"]), "comune", "comuni")
        merges = f", merged from {groups} groups" if groups else ""
        lines.append(f"  {area['rank']:>2}. {entry['name']}: {size} ({provinces}){merges}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="an existing database holding the wave")
    parser.add_argument("--survey", default=WAVE, help=f"the wave's code (default {WAVE})")
    args = parser.parse_args()

    def report(url: str, load: bool) -> None:
        engine = make_engine(url)
        try:
            if load:
                load_wave(engine)
            with Session(engine) as session:  # closed without a commit: nothing is stored
                lines = foggia_figures(session, args.survey)
        finally:
            engine.dispose()
        for line in lines:
            console.print(line)

    if args.database_url:
        report(args.database_url, load=False)
        return
    with throwaway_database(vintages=(2021,)) as url:
        report(url, load=True)


if __name__ == "__main__":
    main()
