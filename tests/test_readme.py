"""README.md documents every `incas` command, so that a new user finds each one."""

from __future__ import annotations

import typer

from app.cli import app
from app.settings import ROOT


def commands(group, prefix: str) -> list[str]:
    """Return every command under a group, as typed: "incas tokens list"."""
    found = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a group of commands
            found += commands(command, f"{prefix} {name}")
        else:
            found.append(f"{prefix} {name}")
    return found


def test_the_cli_table_names_every_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    every = commands(typer.main.get_command(app), "incas")

    assert len(every) > 10
    assert [c for c in every if f"`{c}" not in readme] == []
