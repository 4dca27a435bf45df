"""`incas surveys`: open and list survey waves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer

from app.cli.common import fail, out, work
from app.cli.output import JsonOption, print_records

app = typer.Typer(help="Survey waves.", no_args_is_help=True)


@app.command("create")
def create(
    code: str = typer.Argument(..., help="Short identifier, e.g. incas-2021."),
    vintage: int = typer.Option(..., "--vintage", help="Boundary year the wave uses."),
    title: str = typer.Option(..., "--title"),
    opens: datetime | None = typer.Option(None, "--opens", help="Opening time (default: now)."),
    closes: datetime | None = typer.Option(
        None, "--closes", help="Closing time (default: 90 days after opening)."
    ),
) -> None:
    """Open a survey wave."""
    from pydantic import ValidationError

    from app.census.surveys import SurveyIn, SurveyOut, create_survey

    opens_at = (opens or datetime.now(UTC)).astimezone(UTC)
    closes_at = closes.astimezone(UTC) if closes else opens_at + timedelta(days=90)
    try:
        data = SurveyIn(
            code=code, title=title, vintage=vintage, opens_at=opens_at, closes_at=closes_at
        )
    except ValidationError as exc:
        fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
        return
    with work() as session:
        survey = SurveyOut.of(create_survey(session, data))
    out.print(
        f"created survey {survey.code} (vintage {survey.vintage}, "
        f"{survey.opens_at:%Y-%m-%d} to {survey.closes_at:%Y-%m-%d})"
    )


def _brief(survey: dict) -> dict:
    return {**survey, "opens_at": f"{survey['opens_at']:%Y-%m-%d}",
            "closes_at": f"{survey['closes_at']:%Y-%m-%d}"}  # fmt: skip


@app.command("list")
def list_(as_json: bool = JsonOption) -> None:
    """List survey waves, newest first."""
    from app.census.surveys import SurveyOut, list_surveys

    with work() as session:
        items, _ = list_surveys(session, limit=100_000, offset=0)
        waves = [SurveyOut.of(s).model_dump() for s in items]
    columns = ("code", "vintage", "opens_at", "closes_at", "is_open", "title")
    print_records(columns, waves, as_json, _brief)
