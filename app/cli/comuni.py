"""`incas comuni`: load boundary vintages."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from app.cli.common import StepProgress, console, out, progress_bar, work
from app.wording import counted

if TYPE_CHECKING:
    from app.geo.reference.loader import LoadResult

app = typer.Typer(help="Comuni boundaries.", no_args_is_help=True)

# In data/istat_comuni/ of the checkout, with the number of comuni each holds.
SHIPPED_VINTAGES = {2021: 7903, 2023: 7899}


def _comuni(n: int) -> str:
    return counted(n, "comune", "comuni")


def _report(result: LoadResult) -> None:
    out.print(
        f"vintage {result.vintage}: {_comuni(result.comuni)} loaded "
        f"({result.layout} layout, source CRS {result.source_crs})"
    )
    if result.repaired:
        repaired = counted(len(result.repaired), "invalid geometry", "invalid geometries")
        out.print(f"  repaired {repaired}: {', '.join(result.repaired)}")
    if result.islands:
        out.print(
            f"  {_comuni(result.islands)} without a contiguous neighbour (islands): for spatial "
            "statistics each is joined to its nearest comune"
        )
    if result.removed:
        out.print(f"  removed {_comuni(result.removed)} no longer in the file")
    if result.without_attributes:
        out.print(
            f"  {_comuni(len(result.without_attributes))} without attributes (population null): "
            + ", ".join(result.without_attributes)
        )
    if result.moved_province:
        out.print(
            f"  {_comuni(len(result.moved_province))} in another province than in the attribute "
            "list; the boundary file wins: " + ", ".join(result.moved_province)
        )


def _load(path: Path, vintage: int, attributes: Path | None) -> None:
    from app.geo.reference.loader import Attributes, load_comuni

    attrs = Attributes.read(attributes) if attributes else None
    with work() as session, progress_bar() as bar:
        result = load_comuni(session, path, vintage, attrs, StepProgress(bar, f"{vintage} "))
    _report(result)


@app.command("load")
def load(
    path: Path = typer.Argument(..., help="GeoPackage or shapefile (openpolis or ISTAT layout)."),
    vintage: int = typer.Option(..., "--vintage", min=1990, max=2100, help="Boundary year."),
    attributes: Path | None = typer.Option(
        None, "--attributes", help="ISTAT list of comuni (JSON) with 2011 population."
    ),
) -> None:
    """Load (or replace) one vintage of comuni boundaries."""
    _load(path, vintage, attributes)


@app.command("load-shipped")
def load_shipped(
    force: bool = typer.Option(False, "--force", help="Reload even if already loaded."),
) -> None:
    """Load the vintages shipped in data/istat_comuni/ that are not loaded yet."""
    from app.geo.reference.vintages import loaded_vintages
    from app.settings import ROOT

    shipped = ROOT / "data" / "istat_comuni"
    with work() as session:
        present = loaded_vintages(session)
    for vintage, expected in SHIPPED_VINTAGES.items():
        if not force and present.get(vintage) == expected:
            console.print(f"vintage {vintage}: already loaded ({expected} comuni)")
            continue
        _load(shipped / f"comuni_{vintage}.gpkg", vintage, shipped / "comuni_2020_attributes.json")


@app.command("vintages")
def vintages() -> None:
    """List the loaded vintages."""
    from app.geo.reference.vintages import loaded_vintages

    with work() as session:
        for vintage, n in loaded_vintages(session).items():
            out.print(f"{vintage}\t{n}")
