"""`incas indicators`: export a wave's indicators as CSV or GeoPackage."""

from __future__ import annotations

import csv
from pathlib import Path

import typer

from app.cli.common import fail, out, progress_bar, work
from app.cli.responses import cli_principal
from app.wording import counted

app = typer.Typer(help="Indicators of a survey wave.", no_args_is_help=True)


@app.command("export")
def export_(
    survey: str = typer.Option(..., "--survey", help="Survey wave code."),
    level: str = typer.Option(
        ..., "--level", help="comune, province, region, ripartizione, italy."
    ),
    out_path: Path = typer.Option(..., "--out", help="FILE.csv, or FILE.gpkg with boundaries."),
    public: bool = typer.Option(
        False, "--public", help="The public view: small counts withheld (default: full figures)."
    ),
) -> None:
    """Export one level of a wave's indicators; the GeoPackage carries the boundaries."""
    from app.census.surveys import get_survey
    from app.geo.analysis.indicators import LEVELS
    from app.geo.analysis.publication import indicator_rows
    from app.geo.layers import export
    from app.geo.layers.catalogue import SURVEY
    from app.geo.layers.features import FeatureQuery, Features
    from app.geo.layers.registry import LayerContext

    if level not in LEVELS:
        fail(f"--level must be one of {', '.join(LEVELS)}")
    if out_path.suffix not in (".csv", ".gpkg"):
        fail("--out must end in .csv or .gpkg")
    if out_path.exists():
        fail(f"{out_path} exists; remove it or choose another name")
    ctx = LayerContext(None if public else cli_principal("export"), None)
    partial = out_path.with_name(f".{out_path.stem}.partial{out_path.suffix}")
    try:
        with work() as session, progress_bar() as bar:
            wave = get_survey(session, survey)
            task = bar.add_task(f"{wave.code}: {level} indicators", total=3)
            if out_path.suffix == ".csv":
                rows = indicator_rows(session, wave, level, full=not public)  # type: ignore[arg-type]
                bar.update(task, advance=1)
                with partial.open("w", newline="", encoding="utf-8") as fh:
                    writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
                    writer.writeheader()
                    for row in rows:
                        writer.writerow(
                            {**row, "suppressed_fields": ";".join(row["suppressed_fields"])}
                        )
                count = len(rows)
                bar.update(task, advance=2)
            else:
                context = LayerContext(ctx.principal, wave)
                layer = SURVEY.find(session, context, f"indicators_{level}")
                features = Features(session, layer, context)  # computes and stores the state
                bar.update(task, advance=1)
                count = export.write_gpkg(features, FeatureQuery(), partial)
                bar.update(task, advance=2)
        partial.replace(out_path)
    finally:
        partial.unlink(missing_ok=True)
    view = "public view" if public else "full figures"
    out.print(f"wrote {counted(count, level + ' row')} of {survey} ({view}) to {out_path}")
