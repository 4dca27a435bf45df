"""What every command shares: the console, the database, errors and progress bars.

`incas` starts with typer and rich only. The database (SQLAlchemy, GeoAlchemy2, the settings)
and the domain are imported by each command when it runs, so that `--help` and a mistyped
option answer at once; tests/cli/test_startup.py checks it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from app.errors import DomainError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

# Messages are never wrapped: piped, rich would break them at 80 columns.
console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def engine() -> Engine:
    """Return an engine on the configured database, or exit with a clear message."""
    from pydantic import ValidationError

    from app.db import make_engine

    try:
        return make_engine()
    except ValidationError as exc:
        fail(exc.errors()[0]["msg"].removeprefix("Value error, "))
        raise


def fail(message: str) -> None:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(1)


@contextmanager
def work() -> Iterator[Session]:
    """Run a command's work in one transaction; turn domain errors into clean exits."""
    from app.db import transaction

    try:
        with transaction(engine()) as session:
            yield session
    except DomainError as exc:
        for problem in exc.details:
            console.print(f"  {problem.path}: {problem.message}")
        fail(exc.message)


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


class StepProgress:
    """Adapt the domain's progress(step, done, total) callbacks to rich tasks."""

    def __init__(self, bar: Progress, prefix: str = "") -> None:
        self.bar, self.prefix = bar, prefix
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, step: str, done: int, total: int) -> None:
        if step not in self.tasks:
            self.tasks[step] = self.bar.add_task(f"{self.prefix}{step}", total=total)
        self.bar.update(self.tasks[step], completed=done, total=total)
