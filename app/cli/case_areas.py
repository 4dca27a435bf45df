"""`incas case-areas`: select case areas, list runs, publish one."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from app.cli.common import fail, out, work
from app.cli.output import JsonOption, print_records
from app.cli.responses import cli_principal
from app.wording import counted

app = typer.Typer(help="Case areas for fieldwork.", no_args_is_help=True)


def _print_run(doc: dict) -> None:
    out.print(
        f"[bold]run {doc['id']}[/] on survey {doc['survey']}: "
        f"{counted(len(doc['areas']), 'area')}, solver {doc['solver']} ({doc['solver_note']}), "
        f"data {doc['fingerprint']} ({counted(doc['responses'], 'response')})"
    )
    areas = [
        {"rank": a["rank"], "area": a["name"], "comuni": len(a["comuni"]),
         "ripartizioni": a["ripartizioni"], "score": f"{a['score']:.3f}",
         "type": "/".join(str(a["typology"][axis] or "-") for axis in ("housing", "work")),
         "runner-up": a["runner_up"]["name"] if a["runner_up"] else ""}
        for a in doc["areas"]
    ]  # fmt: skip
    print_records(("rank", "area", "comuni", "ripartizioni", "score", "type", "runner-up"), areas)
    for a in doc["areas"]:
        out.print(f"[bold]{a['rank']}. {a['name']}[/]")
        for reason in a["reasons"]:
            out.print(f"   - {reason}")
    style = "green" if doc["constraints_met"] else "bold red"
    out.print(f"[{style}]constraints: {doc['constraints']['summary']}[/]")


@app.command("select")
def select_(
    survey: str = typer.Option(..., "--survey", help="Survey wave code."),
    params: Path | None = typer.Option(
        None, "--params", exists=True, dir_okay=False, help="JSON file of parameters."
    ),
) -> None:
    """Select the case areas of a wave's current data, store the run and print it."""
    from app.census.surveys import get_survey
    from app.geo.case_areas import runs
    from app.geo.case_areas.params import parse_parameters

    try:
        data = json.loads(params.read_text(encoding="utf-8")) if params else {}
    except json.JSONDecodeError as exc:
        fail(f"{params} is not JSON: {exc}")
    with work() as session:
        wave = get_survey(session, survey)
        run = runs.run_selection(session, wave, parse_parameters(data), cli_principal("cli"))
        doc = runs.run_document(session, wave, run, geometry=False)
    _print_run(doc)


def _brief(run: dict) -> dict:
    """A run as a terminal table row: when to the minute, the first three areas."""
    return {
        **run,
        "created_at": f"{run['created_at']:%Y-%m-%d %H:%M}",
        "published": "yes" if run["published"] else "",
        "areas": "; ".join(run["areas"][:3]),
    }


@app.command("list")
def list_(
    survey: str = typer.Option(..., "--survey", help="Survey wave code."),
    as_json: bool = JsonOption,
) -> None:
    """List the runs of a wave, newest first."""
    from app.census.surveys import get_survey
    from app.geo.case_areas import runs

    with work() as session:
        items, _ = runs.list_runs(session, get_survey(session, survey), 100_000, 0)
    columns = ("id", "created_at", "created_by", "solver", "constraints_met",
               "failed_constraints", "published", "areas")  # fmt: skip
    print_records(columns, items, as_json, _brief)


@app.command("show")
def show(
    run_id: int = typer.Argument(..., help="Run id."),
    survey: str = typer.Option(..., "--survey", help="Survey wave code."),
) -> None:
    """Print one run with its areas and reasons."""
    from app.census.surveys import get_survey
    from app.geo.case_areas import runs

    with work() as session:
        wave = get_survey(session, survey)
        doc = runs.run_document(session, wave, runs.get_run(session, wave, run_id), False)
    _print_run(doc)


@app.command("publish")
def publish(
    run_id: int = typer.Argument(..., help="Run id."),
    survey: str = typer.Option(..., "--survey", help="Survey wave code."),
) -> None:
    """Publish a run; the run published before is withdrawn."""
    from app.census.surveys import get_survey
    from app.geo.case_areas import runs

    with work() as session:
        wave = get_survey(session, survey)
        runs.publish(session, wave, run_id, cli_principal("cli"))
    out.print(f"run {run_id} is now the published case areas of {survey}")
