"""Dependencies shared by the routers, named once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

import anyio
from fastapi import Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

T = TypeVar("T")


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Give the request one session whose transaction commits when the handler succeeds."""
    # The session connects on first use, so opening it costs no trip to a worker thread, and
    # a request that never touched the database has nothing to commit.
    session = request.app.state.sessions()
    try:
        yield session
        if session.in_transaction():
            with anyio.CancelScope(shield=True):  # a commit under way is seen to its end
                await run_in_threadpool(session.commit)
    finally:
        if session.in_transaction():  # the handler failed, or the request was cancelled
            # Shielded: a connection left in its transaction would hold its row locks, and
            # a client's retry of the same submission would wait on them.
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(session.close)
        else:
            session.close()


# "function" scope: the transaction commits before the response leaves, so a client that got
# 201 can trust the write. Streaming answers need the session while they stream, hence the
# request-scoped twin.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
StreamSessionDep = Annotated[Session, Depends(get_session, scope="request")]


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


def paging(
    limit: Annotated[int, Query(ge=1, le=1000, description="Items per page.")] = 100,
    offset: Annotated[int, Query(ge=0, description="Items to skip.")] = 0,
) -> Paging:
    return Paging(limit, offset)


PagingDep = Annotated[Paging, Depends(paging)]


class Page(BaseModel, Generic[T]):
    """The shape of every list the API answers."""

    items: list[T]
    total: int
    limit: int
    offset: int
