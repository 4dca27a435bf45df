"""`incas tokens`: issue, list and revoke credentials."""

from __future__ import annotations

import csv
import os
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table

from app.census import tokens
from app.census.surveys import get_survey
from app.cli.common import console, fail, out, progress_bar, work

app = typer.Typer(help="Credentials (tokens).", no_args_is_help=True)


def _expiry(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@app.command("create")
def create(
    role: str = typer.Option(..., "--role", help="admin, analyst or respondent."),
    comune: list[str] = typer.Option([], "--comune", help="Comune code (respondents; repeat)."),
    label: str = typer.Option("", "--label", help="Who holds it; shown in logs and revisions."),
    expires: datetime | None = typer.Option(
        None,
        "--expires",
        help="Expiry (default: 1 year; a wave's respondent: 180 days after it closes).",
    ),
    survey: str | None = typer.Option(None, "--survey", help="Bind a respondent to one wave."),
) -> None:
    """Issue one token; its secret is printed once, as the last line."""
    with work() as session:
        wave = get_survey(session, survey) if survey else None
        token, secret = tokens.create_token(
            session, role, comune, label, _expiry(expires), survey=wave
        )
        expires_at = token.expires_at
    console.print(f"created {role} token {token.id} ({label or 'no label'}), expires {expires_at}")
    console.print("the secret is shown only now:")
    out.print(secret, soft_wrap=True)


@app.command("list")
def list_(
    all_: bool = typer.Option(False, "--all", help="Include revoked and expired tokens."),
) -> None:
    """List tokens (never their secrets)."""
    table = Table("id", "prefix", "role", "label", "comuni", "expires", "revoked")
    with work() as session:
        for t in tokens.list_tokens(session, include_inactive=all_):
            comuni = ",".join(t.comuni[:3]) + ("…" if len(t.comuni) > 3 else "")
            table.add_row(
                str(t.id), t.prefix + "…", t.role, t.label, comuni,
                f"{t.expires_at:%Y-%m-%d}", f"{t.revoked_at:%Y-%m-%d}" if t.revoked_at else "",
            )  # fmt: skip
    out.print(table)


@app.command("revoke")
def revoke(ident: str = typer.Argument(..., help="Token id, or the prefix `tokens list` shows.")):
    """Revoke a token at once."""
    with work() as session:
        n = tokens.revoke_token(session, ident.rstrip("…"))
    out.print(f"revoked {n} token(s)")


@app.command("issue-respondents")
def issue_respondents(
    survey: str = typer.Option(..., "--survey", help="Survey wave code."),
    out_path: Path = typer.Option(..., "--out", help="CSV to write the secrets to (mode 600)."),
) -> None:
    """Issue one respondent token per comune of the wave's vintage, for mailing."""
    if out_path.exists():
        fail(f"{out_path} exists; refusing to overwrite a file of live credentials")
    partial = out_path.with_name(out_path.name + ".partial")
    try:
        with work() as session, progress_bar() as bar:
            wave = get_survey(session, survey)
            task = bar.add_task("issuing tokens", total=None)
            creds = tokens.issue_respondents(
                session, wave, lambda done, total: bar.update(task, completed=done, total=total)
            )
            # Write the secrets before the commit, publish the file only after it.
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                writer.writerow(["comune_code", "comune_name", "province", "token", "expires_at"])
                for c in creds:
                    writer.writerow(
                        [
                            c.comune_code,
                            c.comune_name,
                            c.province,
                            c.token,
                            c.expires_at.isoformat(),
                        ]
                    )
        partial.replace(out_path)
    finally:
        partial.unlink(missing_ok=True)
    out.print(f"issued {len(creds)} respondent tokens for {survey}; secrets in {out_path}")
