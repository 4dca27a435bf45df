"""`incas responses` and `incas respondents`: bulk import, and erasure of personal data."""

from __future__ import annotations

import time
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from app.cli.common import console, fail, out, progress_bar, work
from app.wording import counted

if TYPE_CHECKING:
    from app.census.tokens import Principal

app = typer.Typer(help="Survey responses.", no_args_is_help=True)
respondents = typer.Typer(help="Respondents' personal data.", no_args_is_help=True)

# Each batch commits on its own: an interrupted import keeps what it stored, and a re-run
# recognises it by submission_id.
BATCH = 200


def cli_principal(action: str) -> Principal:
    """The command line acts as an admin, named in the revisions it writes."""
    from app.census.tokens import Principal

    return Principal(None, "admin", action, frozenset(), None)


@app.command("import")
def import_(
    path: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="JSON Lines, one document each."
    ),
    survey: str = typer.Option(..., "--survey", help="Survey wave code."),
    report: Path | None = typer.Option(
        None,
        "--report",
        help="Where to write rejected lines (default: FILE.rejected.jsonl for FILE.jsonl).",
    ),
) -> None:
    """Import responses collected elsewhere, with the API's validation; re-runs add nothing."""
    from app.census.imports import ImportResult, import_lines
    from app.census.surveys import get_survey

    report = report or path.with_suffix(".rejected.jsonl")
    principal = cli_principal(f"import {path.name}")
    with work() as session:
        get_survey(session, survey)  # fail early on an unknown wave
    total = sum(1 for _ in path.open(encoding="utf-8"))
    result = ImportResult()
    started = time.monotonic()
    with path.open(encoding="utf-8") as fh, progress_bar() as bar:
        task = bar.add_task(f"importing {path.name}", total=total)
        numbered = enumerate(fh, start=1)
        while batch := list(islice(numbered, BATCH)):
            with work() as session:
                result.add(import_lines(session, get_survey(session, survey), principal, batch))
            bar.update(task, advance=len(batch))
    elapsed = time.monotonic() - started
    with report.open("w", encoding="utf-8") as fh:
        for rejected in result.rejected:
            fh.write(rejected.as_json() + "\n")
    out.print(
        f"read {counted(result.read, 'document')}: {result.created} created, "
        f"{result.unchanged} already stored, {len(result.rejected)} rejected "
        f"({result.read / elapsed:.0f} documents/s)"
    )
    if result.rejected:
        out.print(f"rejected lines and their errors: {report}")


@respondents.command("erase")
def erase(
    survey: str = typer.Option(..., "--survey", help="Survey wave code."),
    comune: str | None = typer.Option(None, "--comune", help="Only this comune's response."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Blank the respondent block in every revision; the history records the erasure."""
    from app.census.responses import erase_respondents
    from app.census.surveys import get_survey

    scope = f"comune {comune}" if comune else "every comune"
    if not yes and not typer.confirm(f"Erase respondents' personal data of {scope} in {survey}?"):
        fail("nothing erased")
    with work() as session:
        n = erase_respondents(session, get_survey(session, survey), comune, cli_principal("erase"))
    console.print(
        f"erased the respondent block of {counted(n, 'response')} in {survey}, in every revision"
    )
