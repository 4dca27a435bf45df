"""Dependencies shared by the routers, named once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Path, Query, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.census.models import Survey
from app.census.surveys import CODE_PATTERN, get_survey

T = TypeVar("T")

# The largest offset or id PostgreSQL's bigint holds: past it a query fails instead of finding
# nothing, so parameters stop here with a 422.
MAX_INT = 2**63 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_INT, description="Id (a positive integer).")]
RunQuery = Annotated[
    int | None, Query(ge=1, le=MAX_INT, description="Case-area run (analysts; others: ignored).")
]

# The map-layer doors read the wave's code from the path themselves (one handler serves /x and
# /surveys/{code}/x); their survey routes declare it with this.
SURVEY_CODE_PARAMETER = {
    "parameters": [
        {
            "name": "code",
            "in": "path",
            "required": True,
            "description": "Code of the survey wave, e.g. incas-2021.",
            "schema": {"type": "string", "pattern": CODE_PATTERN},
        }
    ]
}


# Commits and rollbacks run on threads of their own. Handlers hold the worker threads while
# PostgreSQL makes them wait on a row lock (two submissions of one comune); if the commit that
# releases the lock needed one of those threads, every request would wait forever.
_FINISHING = anyio.CapacityLimiter(16)


async def _finish(action: Callable[[], None]) -> None:
    with anyio.CancelScope(shield=True):  # seen to its end even if the client goes away
        await anyio.to_thread.run_sync(action, limiter=_FINISHING)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Give the request one session whose transaction commits when the handler succeeds."""
    # The session connects on first use, so opening it costs no trip to a worker thread, and
    # a request that never touched the database has nothing to commit.
    session = request.app.state.sessions()
    try:
        yield session
        if session.in_transaction():
            await _finish(session.commit)
    finally:
        if session.in_transaction():  # the handler failed, or the request was cancelled
            # A connection left in its transaction would hold its row locks, and a client's
            # retry of the same submission would wait on them.
            await _finish(session.close)
        else:
            session.close()


# "function" scope: the transaction commits before the response leaves, so a client that got
# 201 can trust the write. Streaming answers need the session while they stream, hence the
# request-scoped twin.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
StreamSessionDep = Annotated[Session, Depends(get_session, scope="request")]


async def survey_of(
    request: Request,
    session: SessionDep,
    survey_code: Annotated[str, Path(description="Code of the survey wave, e.g. incas-2021.")],
) -> Survey:
    """Return the survey wave the path names, or answer 404."""
    # The caller's token was checked in the same query that found the wave (app/api/auth.py):
    # no second round trip, nor a trip to a worker thread.
    known = getattr(request.state, "survey", None)
    if known is not None and known.code == survey_code:
        return known
    return await run_in_threadpool(get_survey, session, survey_code)


SurveyDep = Annotated[Survey, Depends(survey_of)]


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


def paging(
    limit: Annotated[int, Query(ge=1, le=1000, description="Items per page.")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_INT, description="Items to skip.")] = 0,
) -> Paging:
    return Paging(limit, offset)


PagingDep = Annotated[Paging, Depends(paging)]


class Page(BaseModel, Generic[T]):
    """The shape of every list the API answers."""

    items: list[T]
    total: int
    limit: int
    offset: int
