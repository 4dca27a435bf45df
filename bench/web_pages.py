"""The web pages in chromium: page weight on first load, and time until usable (questionnaire)
or until the first choropleth is drawn (atlas).

    .venv/bin/python bench/web_pages.py [--runs 7]

A throwaway database gets the 2021 comuni, an open wave and a respondent token for San Severo;
the app runs in uvicorn (one worker) and Debian's chromium (headless, via Playwright) opens
`/questionnaire/{wave}#token=...` in a fresh browser context each run: an empty cache, as on a
municipal officer's first visit. For each run:

- **first load**: every response until the form is drawn and usable (the page's
  `incas:ready` mark: the token checked, the wave and the comune's state fetched, the form
  built). Bytes are what crossed the wire (compressed bodies plus headers, as chromium counts
  them); time is from navigation start to that mark;
- **with the map**: the same, plus opening the map of a settlement (MapLibre, its worker, the
  comune's boundary and the comuni tiles), timed from the click to the map's first full draw;
- **second visit**: the same page again in the same context (assets cached as immutable).

The atlas (`/map?wave=...`, issue 13) runs on the same database, with a national wave of 4,000
synthetic responses and a published run of case areas (`tests/utils/atlas.py`), in a fresh
context each run: bytes until the first choropleth is drawn (the page's `incas:choropleth`
mark: MapLibre's first `idle` with the class breaks applied) and after the network is idle,
and the time of that mark from navigation start.

Targets (issue 11): first load ≤ 1 MB compressed; interactive ≤ 2 s on this machine.
Targets (issue 13): atlas first load ≤ 1.5 MB compressed; first choropleth ≤ 2 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.census.tokens import create_token  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.web.build import build  # noqa: E402
from bench.common import (  # noqa: E402
    ROOT,
    Ratio,
    console,
    free_port,
    print_ratios,
    running_server,
    throwaway_database,
    write_results,
)
from tests.utils.atlas import ATLAS_WAVE, open_atlas_wave  # noqa: E402
from tests.utils.documents import open_survey  # noqa: E402

WAVE = "bench-web"
COMUNE = "071051"
CHROMIUM = os.environ.get("INCAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
    "--enable-unsafe-swiftshader",
]  # fmt: skip
MB = 1_000_000


class Transfer:
    """Bytes chromium received (headers and encoded bodies), per kind of resource."""

    def __init__(self) -> None:
        self.responses: list = []

    def __call__(self, response) -> None:
        self.responses.append(response)

    def total(self) -> tuple[int, dict[str, int]]:
        by_kind: dict[str, int] = {}
        for r in self.responses:
            try:
                sizes = r.request.sizes()
            except Exception:  # a request still in flight when the page was left
                continue
            # Chromium reports no body size for a worker's own script: its header says it.
            body = sizes["responseBodySize"] or int(r.headers.get("content-length", 0))
            size = body + sizes["responseHeadersSize"]
            kind = r.request.resource_type
            by_kind[kind] = by_kind.get(kind, 0) + size
        return sum(by_kind.values()), by_kind


def mark(page: Page, name: str) -> float:
    return page.evaluate(f"performance.getEntriesByName('{name}')[0].startTime") / 1000


def one_run(browser, url: str) -> dict:
    """Load the page cold, then open the map, then load it again warm; return the figures."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    transfer = Transfer()
    context.on("response", transfer)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("html[data-ready]")
    page.wait_for_load_state("load")
    interactive = mark(page, "incas:ready")
    first_bytes, first_kinds = transfer.total()
    dom = page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")

    page.locator('[name="workers_present"][value="true"]').check()
    page.locator('[data-add="informal_settlements"]').click()
    clicked = page.evaluate("performance.now()")
    page.get_by_role("button", name="Scegli sulla mappa").click()
    page.wait_for_selector(".location-map[data-ready]", timeout=60_000)
    page.wait_for_function(
        "() => window.performance.getEntriesByName('incas:map-ready').length > 0"
    )
    map_seconds = (mark(page, "incas:map-ready") * 1000 - clicked) / 1000
    page.wait_for_load_state("networkidle")
    map_bytes, map_kinds = transfer.total()

    warm = Transfer()
    context.on("response", warm)
    page.reload()
    page.wait_for_selector("html[data-ready]")
    warm_interactive = mark(page, "incas:ready")
    warm_bytes, _ = warm.total()
    context.close()
    return {
        "first_load_bytes": first_bytes,
        "first_load_by_kind": first_kinds,
        "interactive_s": interactive,
        "dom_content_loaded_s": dom / 1000,
        "with_map_bytes": map_bytes,
        "with_map_by_kind": map_kinds,
        "map_ready_after_click_s": map_seconds,
        "second_visit_bytes": warm_bytes,
        "second_visit_interactive_s": warm_interactive,
    }


def atlas_run(browser, url: str) -> dict:
    """Load the atlas cold; return its weight and the time of its first choropleth."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    transfer = Transfer()
    context.on("response", transfer)
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(
        "() => performance.getEntriesByName('incas:choropleth').length > 0", timeout=120_000
    )
    drawn = mark(page, "incas:choropleth")
    drawn_bytes, drawn_kinds = transfer.total()
    page.wait_for_load_state("networkidle")
    idle_bytes, idle_kinds = transfer.total()
    context.close()
    return {
        "atlas_first_choropleth_s": drawn,
        "atlas_at_choropleth_bytes": drawn_bytes,
        "atlas_first_load_bytes": idle_bytes,
        "atlas_by_kind": idle_kinds,
    }


def say_run(i: int, n: int, r: dict) -> None:
    console.print(
        f"  run {i + 1}/{n}: first load {r['first_load_bytes'] / 1e3:.0f} kB,"
        f" interactive {r['interactive_s']:.3f} s; with the map {r['with_map_bytes'] / 1e3:.0f}"
        f" kB, drawn {r['map_ready_after_click_s']:.3f} s after the click; second visit"
        f" {r['second_visit_bytes'] / 1e3:.0f} kB, {r['second_visit_interactive_s']:.3f} s;"
        f" atlas {r['atlas_first_load_bytes'] / 1e3:.0f} kB, first choropleth"
        f" {r['atlas_first_choropleth_s']:.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="cold loads to time (median)")
    args = parser.parse_args()

    build()
    with throwaway_database(vintages=(2021,)) as url, tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(url)
        with Session(engine) as session, session.begin():
            wave = open_survey(session, code=WAVE, vintage=2021)
            _, secret = create_token(session, "respondent", [COMUNE], "bench", survey=wave)
            open_atlas_wave(session)
        engine.dispose()
        port = free_port()
        cmd = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]  # fmt: skip
        env = {**os.environ, "DATABASE_URL": url}
        with running_server("ours", cmd, port=port, env=env, cwd=ROOT, log=Path(tmp) / "uv.log"):
            page_url = f"http://127.0.0.1:{port}/questionnaire/{WAVE}#token={secret}"
            atlas_url = f"http://127.0.0.1:{port}/map?wave={ATLAS_WAVE}"
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                one_run(browser, page_url)  # warm-up: uvicorn, PostGIS and chromium caches
                atlas_run(browser, atlas_url)  # and the wave's tables, pattern and tiles' rows
                runs = []
                for i in range(args.runs):
                    runs.append(one_run(browser, page_url) | atlas_run(browser, atlas_url))
                    say_run(i, args.runs, runs[-1])
                browser.close()

    def median(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    summary = {key: median(key) for key in runs[0] if not key.endswith("by_kind")}
    console.print("\n[bold]Medians[/] of", len(runs), "cold runs:")
    for key, value in summary.items():
        shown = f"{value / 1e3:.0f} kB" if key.endswith("bytes") else f"{value:.3f} s"
        console.print(f"  {key}: {shown}")
    console.print("  first load by kind (last run):", runs[-1]["first_load_by_kind"])
    console.print("  with the map by kind (last run):", runs[-1]["with_map_by_kind"])
    console.print("  atlas by kind (last run):", runs[-1]["atlas_by_kind"])
    console.print(
        f"\n  side by side: questionnaire {summary['first_load_bytes'] / 1e3:.0f} kB"
        f" ({summary['with_map_bytes'] / 1e3:.0f} kB with its map), usable in"
        f" {summary['interactive_s']:.2f} s | atlas {summary['atlas_first_load_bytes'] / 1e3:.0f}"
        f" kB, first choropleth in {summary['atlas_first_choropleth_s']:.2f} s"
    )
    print_ratios(
        "Targets (issue 11)",
        [
            Ratio("first load, MB compressed", summary["first_load_bytes"] / MB, 1.0, False),
            Ratio("with the map, MB compressed", summary["with_map_bytes"] / MB, 1.0, False),
            Ratio("time until interactive, s", summary["interactive_s"], 2.0, False),
        ],
    )
    print_ratios(
        "Targets (issue 13)",
        [
            Ratio("atlas first load, MB compressed", summary["atlas_first_load_bytes"] / MB, 1.5,
                  False),
            Ratio("atlas first choropleth, s", summary["atlas_first_choropleth_s"], 2.0, False),
        ],
    )  # fmt: skip
    path = write_results("web_pages", {"runs": runs, "medians": summary})
    console.print(f"results: {path}")


if __name__ == "__main__":
    main()
