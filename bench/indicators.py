"""Indicators and hot spots on a national survey: our figures against raw PostGIS and naive Gi*.

    .venv/bin/python bench/indicators.py [--runs 7] [--database-url URL --survey CODE]

A throwaway database gets the 2021 comuni and a synthetic national wave (4,000 responses, the
generator of the test suite). Then, interleaved round by round:

- **roll-up**: every level (comune, province, region, ripartizione, Italy) of the public
  indicators with small counts withheld (`publication.public_levels`), from a cold cache (a new
  state of the data), against raw PostGIS computing the same sums per level with
  `GROUP BY ROLLUP` and no suppression; and, for information, turning that state into the
  8,036 JSON-ready rows the REST answers carry;
- **Gi***: 999 permutations on the stored contiguity (the hot-spot store bypassed), against
  the same Gi* after building queen contiguity from the full-resolution polygons with libpysal,
  which is what "no stored contiguity" would cost on every request.

Targets (issue 4): roll-up with suppression ≤ 300 ms; Gi* ≤ 3 s.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import warnings
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    Ratio,
    call_contender,
    console,
    interleave,
    print_ratios,
    print_timings,
    throwaway_database,
    write_results,
)

VINTAGE = 2021
LEVELS = ("comune", "province", "region", "ripartizione", "italy")

RAW_ROLLUP = text(
    """
    with r as (select comune_code, workers_present, workers_stable, workers_seasonal
               from responses where survey_id = :sid),
    i as (select comune_code, count(*) n, sum(persons_min) pmin, sum(persons_max) pmax
          from informal_settlements where survey_id = :sid group by comune_code),
    f as (select comune_code, count(*) n, sum(capacity) cap, sum(occupants) occ
          from formal_settlements where survey_id = :sid group by comune_code)
    select c.ripartizione_code, c.region_code, c.province_code, c.code,
           count(*) invited, count(r.comune_code) responded,
           count(*) filter (where r.workers_present) workers_present,
           sum(r.workers_stable) stable, sum(r.workers_seasonal) seasonal,
           sum(f.n) formal, sum(f.cap) capacity, sum(f.occ) occupants,
           sum(i.n) informal, sum(i.pmin) pmin, sum(i.pmax) pmax,
           sum(r.workers_stable) * 1000.0 / nullif(sum(c.population_2011)
               filter (where r.comune_code is not null), 0) stable_per_1000
    from comuni c
    left join r on r.comune_code = c.code
    left join i on i.comune_code = c.code
    left join f on f.comune_code = c.code
    where c.vintage = :vintage
    group by rollup (c.ripartizione_code, c.region_code, c.province_code, c.code)
    """
)


def national_survey(url: str) -> str:
    """Create the synthetic national wave in the bench database; return its code."""
    from app.census.imports import import_lines
    from app.census.tokens import Principal
    from app.db import make_engine
    from tests.utils.documents import open_survey
    from tests.utils.synthetic import national_documents

    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        survey = open_survey(session, code="bench-national", vintage=VINTAGE)
        docs = national_documents(session, vintage=VINTAGE, responded=4000, seed=7)
        lines = [(i, json.dumps(d)) for i, d in enumerate(docs)]
        result = import_lines(
            session, survey, Principal(None, "admin", "bench", frozenset(), None), lines
        )
        if result.rejected:
            raise RuntimeError(f"synthetic documents rejected: {result.rejected[:2]}")
    engine.dispose()
    return "bench-national"


def run(url: str, code: str, runs: int) -> int:
    import esda
    import geopandas
    from libpysal.weights import Queen

    from app.cache import CACHE
    from app.census.surveys import get_survey
    from app.db import make_engine
    from app.geo.analysis import hotspots, publication

    engine = make_engine(url)
    session = Session(engine)
    survey = get_survey(session, code)
    sid = survey.id

    def rollup_cold():
        # A new state of the data: nothing cached but the comuni of the vintage.
        CACHE.drop("tables")
        return publication.public_levels(session, survey)

    def rows_warm():
        # The same state serialised to JSON-ready rows, as the REST answers carry them.
        return [publication.indicator_rows(session, survey, level, full=False) for level in LEVELS]

    def rollup_raw():
        return session.execute(RAW_ROLLUP, {"sid": sid, "vintage": VINTAGE}).all()

    current = publication.current_tables(session, survey)

    def gi_stored():
        return hotspots.compute(session, current, "informal_persons_mid", 999, 1)

    polygons = geopandas.read_postgis(
        text("select code, geom from comuni where vintage = :v order by code"),
        engine.connect(),
        params={"v": VINTAGE},
        geom_col="geom",
    )

    def gi_rebuilding():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = Queen.from_dataframe(polygons, ids="code", use_index=True)
            y = current.rows("comune").loc[polygons["code"], "informal_persons_mid"].fillna(0)
            return esda.G_Local(y.to_numpy(), w, transform="B", star=True, permutations=999,
                                seed=1, n_jobs=1)  # fmt: skip

    rollup_cold()  # warm the comuni cache, the contiguity and the imports
    gi_stored()
    with tempfile.TemporaryDirectory() as tmp:
        console.print("[bold]roll-up of every level, public view, cold state[/]")
        roll = interleave(
            [call_contender("ours", rollup_cold, "ours: 5 levels + suppression (cold)"),
             call_contender("raw", rollup_raw, "raw PostGIS: GROUP BY ROLLUP, no suppression"),
             call_contender("rows", rows_warm, "ours: the same as 8,036 JSON-ready rows (warm)")],
            runs, workdir=Path(tmp),
        )  # fmt: skip
        console.print("[bold]Gi*, 999 permutations[/]")
        gi = interleave(
            [call_contender("stored", gi_stored, "ours: stored contiguity"),
             call_contender("rebuild", gi_rebuilding, "libpysal Queen from polygons + Gi*")],
            max(3, runs // 2), workdir=Path(tmp),
        )  # fmt: skip
    roll_s = {k: v.summary() for k, v in roll.items()}
    gi_s = {k: v.summary() for k, v in gi.items()}
    print_timings("Roll-up", list(roll_s.values()))
    print_timings("Gi*", list(gi_s.values()))
    ratios = [
        Ratio("roll-up: ours (s)", roll_s["ours"]["median_s"], 0.300, False),
        Ratio(
            "roll-up: ours / raw PostGIS",
            roll_s["ours"]["median_s"] / roll_s["raw"]["median_s"],
            float("inf"),
            False,
        ),  # fmt: skip
        Ratio("Gi*: ours (s)", gi_s["stored"]["median_s"], 3.0, False),
        Ratio(
            "Gi*: ours / rebuilding contiguity",
            gi_s["stored"]["median_s"] / gi_s["rebuild"]["median_s"],
            1.0,
            True,
        ),  # fmt: skip
    ]
    print_ratios("Targets", ratios)
    path = write_results("indicators", {"rollup": roll_s, "gi": gi_s, "ratios": ratios})
    console.print(f"results: {path}")
    session.close()
    engine.dispose()
    return 0 if all(r.met is not False for r in ratios) else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--database-url", help="an existing database with the 2021 comuni")
    p.add_argument("--survey", help="an existing wave there (default: create the synthetic one)")
    args = p.parse_args(argv)
    if args.database_url:
        code = args.survey or national_survey(args.database_url)
        return run(args.database_url, code, args.runs)
    with throwaway_database((VINTAGE,)) as url:
        return run(url, national_survey(url), args.runs)


if __name__ == "__main__":
    sys.exit(main())
