"""Refuse request text no door can use: NUL characters and percent-escapes that are not UTF-8.

PostgreSQL cannot hold a NUL in a text value and XML cannot write one, so a NUL that got past
the edge would fail deep inside a query or an exception report. Every route checks its path
and query parameters here, once; each door answers the refusal in its own error shape (the
REST error, an OWS ExceptionReport for WFS).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote_to_bytes

from fastapi import Request
from fastapi.exceptions import RequestValidationError

NUL = "must not contain a NUL character (%00)"
NOT_UTF8 = "is not UTF-8: a percent-escape names bytes that are no text"


def _decoded(raw: bytes) -> str | None:
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return None


def form_problems(encoded: bytes) -> list[tuple[str, str]]:
    """Return (parameter, message) for each unusable name or value of a URL-encoded form."""
    found = []
    for pair in encoded.split(b"&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition(b"=")
        name, value = _decoded(raw_name), _decoded(raw_value)
        shown = name if name is not None else raw_name.decode("ascii", "replace")
        if name is None or value is None:
            found.append((shown, NOT_UTF8))
        elif "\x00" in name or "\x00" in value:
            found.append((shown.replace("\x00", "%00"), NUL))
    return found


def path_problems(params: Iterable[tuple[str, object]]) -> list[tuple[str, str]]:
    """Return (parameter, message) for each path parameter holding a NUL."""
    return [(name, NUL) for name, value in params if isinstance(value, str) and "\x00" in value]


async def refuse_unusable_text(request: Request) -> None:
    """Answer 422 (in the door's shape) when a path or query parameter holds unusable text."""
    # `async`: a few string checks, cheaper on the event loop than a trip to a worker thread.
    errors = [
        {"type": "value_error", "loc": (where, name), "msg": message}
        for where, found in (
            ("path", path_problems(request.path_params.items())),
            ("query", form_problems(request.scope.get("query_string", b""))),
        )
        for name, message in found
    ]
    if errors:
        raise RequestValidationError(errors)
