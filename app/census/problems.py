"""Turn pydantic's validation errors into problems with JSON paths and plain messages.

Apart from validation, which loads the questionnaire and shapely: opening a wave needs only this.
"""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from app.errors import Problem

# pydantic puts the tag of a tagged union (a location's type) in the path; a JSON path has none.
UNION_TAGS = {"Point", "Polygon", "MultiPolygon"}
MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "unknown field",
    "json_invalid": "is not valid JSON",
}


def json_path(loc: tuple[str | int, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in UNION_TAGS:
            path += ("." if path else "") + part
    return path or "$"


def _problem(err: ErrorDetails) -> Problem:
    message = MESSAGES.get(err["type"]) or err["msg"].removeprefix("Value error, ")
    return Problem(json_path(tuple(err["loc"])), message)


def problems_of(exc: ValidationError) -> list[Problem]:
    """Turn pydantic's errors into problems with JSON paths and plain messages."""
    return [_problem(e) for e in exc.errors(include_url=False)]
