"""`incas surveys`: open and list survey waves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer
from pydantic import ValidationError

from app.census.surveys import SurveyIn, SurveyOut, create_survey, list_surveys
from app.cli.common import fail, out, work

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


@app.command("list")
def list_() -> None:
    """List survey waves."""
    with work() as session:
        items, _ = list_surveys(session, limit=1000, offset=0)
        for s in items:
            out.print(
                f"{s.code}\t{s.vintage}\t{s.opens_at:%Y-%m-%d}\t{s.closes_at:%Y-%m-%d}\t{s.title}"
            )
