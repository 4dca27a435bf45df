"""`incas tokens`: issue, list and revoke credentials."""

from __future__ import annotations

import csv
import os
from datetime import UTC, datetime
from pathlib import Path

import typer

from app.cli.common import console, fail, out, progress_bar, work
from app.cli.output import JsonOption, print_records
from app.wording import counted

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
    from app.census.surveys import get_survey
    from app.census.tokens import create_token

    with work() as session:
        wave = get_survey(session, survey) if survey else None
        token, secret = create_token(session, role, comune, label, _expiry(expires), survey=wave)
        expires_at = token.expires_at
    console.print(f"created {role} token {token.id} ({label or 'no label'}), expires {expires_at}")
    console.print("the secret is shown only now:")
    out.print(secret, soft_wrap=True)


COLUMNS = ("id", "prefix", "role", "label", "survey", "comuni", "expires_at", "revoked_at")


def _brief(token: dict) -> dict:
    """A token as a terminal table row: the first comuni and the dates only."""
    comuni = token["comuni"]
    return {
        **token,
        "prefix": token["prefix"] + "…",
        "comuni": ",".join(comuni[:3]) + ("…" if len(comuni) > 3 else ""),
        "expires_at": f"{token['expires_at']:%Y-%m-%d}",
        "revoked_at": f"{token['revoked_at']:%Y-%m-%d}" if token["revoked_at"] else "",
    }


@app.command("list")
def list_(
    all_: bool = typer.Option(False, "--all", help="Include revoked and expired tokens."),
    survey: str | None = typer.Option(None, "--survey", help="Only tokens bound to this wave."),
    role: str | None = typer.Option(None, "--role", help="Only admin, analyst or respondent."),
    comune: str | None = typer.Option(None, "--comune", help="Only tokens for this comune."),
    as_json: bool = JsonOption,
) -> None:
    """List tokens (never their secrets), newest first."""
    from app.census.surveys import get_survey, list_surveys
    from app.census.tokens import list_tokens

    with work() as session:
        wave = get_survey(session, survey) if survey else None
        found = list_tokens(session, all_, survey=wave, role=role, comune=comune)
        codes: dict[int | None, str] = {
            s.id: s.code for s in list_surveys(session, limit=100_000, offset=0)[0]
        }
        records = [
            {"id": t.id, "prefix": t.prefix, "role": t.role, "label": t.label,
             "survey": codes.get(t.survey_id), "comuni": list(t.comuni),
             "expires_at": t.expires_at, "revoked_at": t.revoked_at}
            for t in found
        ]  # fmt: skip
    print_records(COLUMNS, records, as_json, _brief)


@app.command("revoke")
def revoke(ident: str = typer.Argument(..., help="Token id, or the prefix `tokens list` shows.")):
    """Revoke a token at once."""
    from app.census.tokens import revoke_token

    with work() as session:
        n = revoke_token(session, ident.rstrip("…"))
    out.print(f"revoked {counted(n, 'token')}")


def questionnaire_link(base_url: str, survey: str, secret: str) -> str:
    """Return the web questionnaire's address for one token."""
    # The secret rides in the fragment, which browsers never send to the server or its logs.
    return f"{base_url.rstrip('/')}/questionnaire/{survey}#token={secret}"


@app.command("issue-respondents")
def issue_respondents(
    survey: str = typer.Option(..., "--survey", help="Survey wave code."),
    out_path: Path = typer.Option(..., "--out", help="CSV to write the secrets to (mode 600)."),
    base_url: str | None = typer.Option(
        None, "--base-url", help="The app's public address: adds a `link` column to the CSV."
    ),
) -> None:
    """Issue one respondent token per comune of the wave's vintage, for mailing."""
    from app.census import tokens
    from app.census.surveys import get_survey

    if out_path.exists():
        fail(f"{out_path} exists; refusing to overwrite a file of live credentials")
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        fail(f"--base-url must start with http:// or https://, not {base_url!r}")
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
                header = ["comune_code", "comune_name", "province", "token", "expires_at"]
                writer.writerow(header + (["link"] if base_url else []))
                for c in creds:
                    row = [
                        c.comune_code,
                        c.comune_name,
                        c.province,
                        c.token,
                        c.expires_at.isoformat(),
                    ]
                    if base_url:
                        row.append(questionnaire_link(base_url, survey, c.token))
                    writer.writerow(row)
        partial.replace(out_path)
    finally:
        partial.unlink(missing_ok=True)
    issued = counted(len(creds), "respondent token")
    out.print(f"issued {issued} for {survey}; secrets in {out_path}")
