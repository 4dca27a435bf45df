"""Text PostgreSQL cannot store: a NUL character, anywhere in a JSON document as sent."""

from __future__ import annotations

from app.errors import Problem

NUL = "must not contain a NUL character (\\u0000)"


def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def nul_problems(value: object, path: str = "") -> list[Problem]:
    """Return a problem at the path of every key or string holding a NUL."""
    if isinstance(value, str):
        return [Problem(path or "$", NUL)] if "\x00" in value else []
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = _child(path, str(key).replace("\x00", "\\u0000"))
            if "\x00" in str(key):
                found.append(Problem(where, NUL))
            found += nul_problems(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += nul_problems(item, _child(path, i))
    return found
