"""Lists: a table on a terminal; piped, full tab-separated rows; with --json, JSON.

Rich fits a table to the terminal, and to 80 columns when there is none, cutting cells with
"…": fine to read, wrong to parse. So a list goes to a pipe or a file as one line per record,
every value whole, with a header line; `--json` gives the records themselves.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from app.cli.common import out

JsonOption = typer.Option(False, "--json", help="Print the records as a JSON array.")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ",".join(_cell(v) for v in value)
    # A tab or a line break inside a value would split its row.
    return " ".join(str(value).split())


def _json(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def print_records(
    columns: Sequence[str],
    records: Sequence[dict[str, Any]],
    as_json: bool = False,
    brief: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> None:
    """Print records as JSON, as a table on a terminal (`brief` shortens cells), or as TSV."""
    if as_json:
        sys.stdout.write(json.dumps(list(records), default=_json, ensure_ascii=False) + "\n")
    elif out.is_terminal:
        table = Table()
        for column in columns:
            table.add_column(column, overflow="fold")  # wrap a long cell, never cut it
        for record in records:
            shown = brief(record) if brief else record
            table.add_row(*(Text(_cell(shown[c])) for c in columns))
        out.print(table)
    else:
        lines = ["\t".join(columns)]
        lines += ["\t".join(_cell(record[c]) for c in columns) for record in records]
        sys.stdout.write("\n".join(lines) + "\n")
