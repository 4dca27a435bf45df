"""An in-process client whose requests share the test's rolled-back session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.api.deps import get_session


@contextmanager
def inprocess_client(
    app: FastAPI, session: Session, savepoint: bool = True
) -> Iterator[TestClient]:
    """Serve the app in-process on the test's session; nothing outlives the test.

    With `savepoint`, a savepoint plays each request's transaction: released on success,
    rolled back on error, as a real request commits or rolls back. The map-layer tests go
    without: their doors run their own savepoints inside the request (a bad GML filter is
    parsed in one), which PostgreSQL cannot unwind inside the test's savepoint nest.
    """

    def test_session(request: Request) -> Iterator[Session]:
        # A streamed answer asks for a second session; it shares the first one's, so that
        # the two never close each other's savepoint.
        if not savepoint or getattr(request.state, "test_session", False):
            yield session
            return
        request.state.test_session = True
        nested = session.begin_nested()
        try:
            yield session
        except BaseException:
            if nested.is_active:
                nested.rollback()
            raise
        # A write handler commits itself (app/api/responses.py): then nothing is left here.
        if nested.is_active:
            nested.commit()

    app.dependency_overrides[get_session] = test_session
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.dependency_overrides.clear()
        if hasattr(app.state, "auth_limiter"):
            app.state.auth_limiter.reset()
