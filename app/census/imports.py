"""Bulk import of responses collected elsewhere: the same rules as the API, idempotent."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.census.models import Survey
from app.census.responses import submit
from app.census.tokens import Principal
from app.errors import DomainError


@dataclass
class Rejected:
    """A line that was not stored, and why. It carries no personal data."""

    line: int
    submission_id: str | None
    comune_code: str | None
    code: str
    message: str
    details: list[dict]

    def as_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)


@dataclass
class ImportResult:
    read: int = 0
    created: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    def add(self, other: ImportResult) -> None:
        self.read += other.read
        self.created += other.created
        self.unchanged += other.unchanged
        self.rejected += other.rejected


def _ids(line: str) -> tuple[str | None, str | None]:
    try:
        data = json.loads(line)
    except ValueError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    sid, code = data.get("submission_id"), data.get("comune_code")
    return (sid if isinstance(sid, str) else None), (code if isinstance(code, str) else None)


def import_lines(
    session: Session, survey: Survey, principal: Principal, lines: Iterable[tuple[int, str]]
) -> ImportResult:
    """Submit each line as a document; one bad line never spoils the others."""
    result = ImportResult()
    for number, line in lines:
        if not line.strip():
            continue
        result.read += 1
        try:
            with session.begin_nested():
                _, created = submit(session, survey, principal, line.encode(), answer=False)
        except DomainError as exc:
            sid, code = _ids(line)
            details = [{"path": p.path, "message": p.message} for p in exc.details]
            result.rejected.append(Rejected(number, sid, code, exc.code, exc.message, details))
            continue
        if created:
            result.created += 1
        else:
            result.unchanged += 1
    return result
