"""`incas db`: back up the database, restore a backup, and prove a backup restores."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.table import Table

from app.cli.common import StepProgress, console, fail, out, progress_bar

app = typer.Typer(help="Back up and restore the census database.", no_args_is_help=True)


def _url() -> str:
    # The database, pg_dump's wrapper and the settings load with the command that needs them,
    # not with every `incas` start.
    from app.settings import database_settings

    try:
        return database_settings().database_url
    except ValueError as exc:
        fail(str(exc).splitlines()[-1])
        raise


@app.command("backup")
def backup(path: Path = typer.Argument(..., help="The file to write (pg_dump custom format).")):
    """Dump the database to PATH, with its migration revision and row counts in PATH.json."""
    started = time.perf_counter()
    from app.ops.backup import BackupError, take_backup

    try:
        with progress_bar() as bar:
            taken = take_backup(_url(), path, StepProgress(bar))
    except BackupError as exc:
        fail(exc.message)
        return
    out.print(
        f"backed up {taken.database} (migration {taken.revision}, "
        f"{sum(taken.rows.values()):,} rows in {len(taken.rows)} tables) to {taken.path}: "
        f"{taken.bytes / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s"
    )


@app.command("restore")
def restore(
    path: Path = typer.Argument(..., help="A file written by `incas db backup`."),
    yes: bool = typer.Option(False, "--yes", help="Really replace the database's contents."),
):
    """Replace the database's contents with a backup (one transaction: all or nothing)."""
    if not yes:
        fail("this replaces every table of the database with the backup's; add --yes to do it")
    started = time.perf_counter()
    from app.ops.backup import BackupError, restore_backup

    try:
        with progress_bar() as bar:
            restored = restore_backup(_url(), path, StepProgress(bar))
    except BackupError as exc:
        fail(exc.message)
        return
    out.print(
        f"restored {path} (taken {restored.taken_at}, migration {restored.revision}) "
        f"in {time.perf_counter() - started:.1f} s; run `alembic upgrade head` if this version "
        "of incas is newer than the backup"
    )


@app.command("verify-backup")
def verify(path: Path = typer.Argument(..., help="A file written by `incas db backup`.")):
    """Restore PATH into a scratch database, compare every table with the live one, drop it."""
    started = time.perf_counter()
    from app.ops.backup import BackupError, verify_backup

    try:
        with progress_bar() as bar:
            backup, checks = verify_backup(_url(), path, StepProgress(bar))
    except BackupError as exc:
        fail(exc.message)
        return
    table = Table(title=f"{path} (taken {backup.taken_at}) against the live database")
    for col in ("table", "live rows", "restored rows", "same content"):
        table.add_column(col, justify="left" if col == "table" else "right")
    for c in checks:
        style = "" if c.ok else "red"
        table.add_row(c.table, f"{c.live_rows}", f"{c.restored_rows}", str(c.same_content),
                      style=style)  # fmt: skip
    out.print(table)
    bad = [c.table for c in checks if not c.ok]
    seconds = time.perf_counter() - started
    if bad:
        console.print(
            f"[red]{len(bad)} of {len(checks)} tables differ[/] ({', '.join(bad)}): the live "
            "database changed since the backup, or the backup does not restore it"
        )
        raise typer.Exit(1)
    out.print(f"verified: all {len(checks)} tables match ({seconds:.1f} s)")
