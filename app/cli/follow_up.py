"""`incas follow-up`: the comuni that have not answered, most likely to have workers first."""

from __future__ import annotations

import csv
from pathlib import Path

import typer

from app.cli.common import fail, out, progress_bar, work

app = typer.Typer(help="Follow-up of the comuni that have not answered.", no_args_is_help=True)


@app.command("export")
def export(
    survey: str = typer.Option(..., "--survey", help="Survey wave code."),
    out_path: Path = typer.Option(..., "--out", help="FILE.csv to write."),
    region: str | None = typer.Option(None, "--region", help="Region code or name."),
    province: str | None = typer.Option(None, "--province", help="Province code or acronym."),
    seed: int = typer.Option(0, "--seed", help="Seed of the model's cross-validation folds."),
) -> None:
    """Write the follow-up list as CSV: rank, estimate, reasons and respondent token ids."""
    # Loaded here: the database and the model's stack (scipy.spatial, scikit-learn) would slow
    # every command.
    from app.census.surveys import get_survey
    from app.geo.analysis.nonresponse.followup import FollowUpFilter, csv_rows, follow_up

    if out_path.suffix != ".csv":
        fail("--out must end in .csv")
    if out_path.exists():
        fail(f"{out_path} exists; remove it or choose another name")
    partial = out_path.with_name(f".{out_path.stem}.partial.csv")
    try:
        with work() as session, progress_bar() as bar:
            wave = get_survey(session, survey)
            task = bar.add_task(f"{wave.code}: presence model and follow-up list", total=2)
            page = follow_up(session, wave, FollowUpFilter(region, province), None, 0, seed)
            bar.update(task, advance=1)
            with partial.open("w", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerows(csv_rows(page.items))
            bar.update(task, advance=1)
        partial.replace(out_path)
    finally:
        partial.unlink(missing_ok=True)
    fit = page.fit
    auc = f"{fit.cv_auc:.3f}" if fit.cv_auc is not None else "n/a"
    out.print(
        f"wrote {page.total} comuni of {survey} that have not answered to {out_path}; "
        f"model estimates ({fit.model['kind']}, fit {fit.id}, {fit.respondents} respondents, "
        f"cross-validated AUC {auc})"
    )
