"""Who is calling: Bearer or Basic credentials, roles, and a brake on guessing."""

from __future__ import annotations

import base64
import binascii
import threading
import time
from collections import defaultdict, deque
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.api.deps import SessionDep
from app.census.tokens import Access, Principal, authenticate_for
from app.errors import Forbidden, NotAuthenticated, TooManyAttempts
from app.settings import auth_settings


class FailureLimiter:
    """Count failed authentications per client address, and refuse a burst of them."""

    def __init__(self, allowed: int, window: float) -> None:
        self.allowed, self.window = allowed, window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        failures = self._failures[client]
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def check(self, client: str) -> None:
        """Raise TooManyAttempts while this client is over its budget of failures."""
        now = time.monotonic()
        with self._lock:
            failures = self._recent(client, now)
            if len(failures) >= self.allowed:
                retry = int(failures[0] + self.window - now) + 1
                raise TooManyAttempts(
                    "too many failed authentications; slow down", retry_after=retry
                )

    def fail(self, client: str) -> None:
        with self._lock:
            self._recent(client, time.monotonic()).append(time.monotonic())

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()


def limiter_for(request: Request) -> FailureLimiter:
    state = request.app.state
    if not hasattr(state, "auth_limiter"):
        settings = auth_settings()
        state.auth_limiter = FailureLimiter(
            settings.auth_failures_allowed, settings.auth_failure_window_seconds
        )
    return state.auth_limiter


def credential(request: Request) -> str | None:
    """Return the token a request carries, as Bearer or as the Basic password."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        # QGIS speaks Basic: any user name, the token as the password.
        return decoded.partition(":")[2]
    return ""


def principal_of(request: Request, session: Session) -> Principal | None:
    """Return the caller, None for anonymous; a bad credential answers 401 (or 429)."""
    secret = credential(request)
    if secret is None:
        return None
    # A wave's door also needs the wave: it comes in the same query (see `survey_of`).
    survey_code = request.path_params.get("survey_code")
    access = authenticate_for(session, secret, survey_code) if secret else Access(None)
    principal = access.principal
    if principal is not None:
        if access.survey is not None:
            request.state.survey = access.survey
            request.state.comuni_in_vintage = access.comuni_in_vintage
        # Tokens are 256-bit secrets: one that verifies was not guessed, so it is never braked
        # (everyone behind one NAT would be locked out by one misconfigured client).
        request.state.role = principal.role  # for the request log: the role, never who
        return principal
    client = request.client.host if request.client else "unknown"
    limiter = limiter_for(request)
    limiter.check(client)
    limiter.fail(client)
    raise NotAuthenticated("invalid, expired or revoked token")


async def optional_principal(request: Request, session: SessionDep) -> Principal | None:
    if credential(request) is None:  # anonymous: nothing to look up
        return None
    return await run_in_threadpool(principal_of, request, session)


# The checks below are plain functions of the principal; `async` keeps them on the event loop
# instead of a trip to a worker thread each.
async def required_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise NotAuthenticated("this needs a token: Authorization: Bearer <token>")
    return principal


async def analyst(principal: Annotated[Principal, Depends(required_principal)]) -> Principal:
    if not principal.is_analyst:
        raise Forbidden("analysts only")
    return principal


async def admin(principal: Annotated[Principal, Depends(required_principal)]) -> Principal:
    if not principal.is_admin:
        raise Forbidden("admins only")
    return principal


MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]
CallerDep = Annotated[Principal, Depends(required_principal)]
AnalystDep = Annotated[Principal, Depends(analyst)]
AdminDep = Annotated[Principal, Depends(admin)]
