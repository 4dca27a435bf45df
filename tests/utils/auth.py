"""Issue tokens for tests and turn them into request headers."""

from __future__ import annotations

import base64

from sqlalchemy.orm import Session

from app.census.tokens import Principal, create_token

# The command line's own identity, as fixtures and tests that act outside HTTP use it.
ADMIN = Principal(None, "admin", "test", frozenset(), None)


def token(session: Session, role: str, comuni: tuple[str, ...] = (), label: str = "") -> str:
    """Issue a token in the test's transaction and return its secret."""
    _, secret = create_token(session, role, comuni, label or f"test {role}")
    session.flush()
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def basic(secret: str, user: str = "qgis") -> dict[str, str]:
    raw = base64.b64encode(f"{user}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}
