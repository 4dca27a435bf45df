"""The `incas` command line."""

from __future__ import annotations

import typer

from app.cli import (
    case_areas,
    comuni,
    db,
    follow_up,
    indicators,
    responses,
    serve,
    surveys,
    tokens,
)

app = typer.Typer(
    help="incas-census: load comuni, open survey waves, issue tokens, serve the API.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(comuni.app, name="comuni")
app.add_typer(surveys.app, name="surveys")
app.add_typer(tokens.app, name="tokens")
app.add_typer(responses.app, name="responses")
app.add_typer(responses.respondents, name="respondents")
app.add_typer(case_areas.app, name="case-areas")
app.add_typer(indicators.app, name="indicators")
app.add_typer(follow_up.app, name="follow-up")
app.add_typer(db.app, name="db")
app.command("serve")(serve.serve)


def main() -> None:
    app()
