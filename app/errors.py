"""Domain errors. Code that raises them knows nothing of HTTP; app/api/errors.py maps them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem in a document, at a JSON path."""

    path: str
    message: str


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "error"

    def __init__(self, message: str, details: list[Problem] | None = None, **extra: object):
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.extra = extra


class NotFound(DomainError):
    code = "not_found"


class ValidationFailed(DomainError):
    code = "validation_failed"

    def __init__(self, details: list[Problem], message: str | None = None):
        n = len(details)
        super().__init__(message or f"{n} problem{'s' if n != 1 else ''} in the document", details)


class Conflict(DomainError):
    """The request conflicts with the stored state; `code` says how."""

    def __init__(self, code: str, message: str, **extra: object):
        super().__init__(message, None, **extra)
        self.code = code


class NotAuthenticated(DomainError):
    code = "not_authenticated"


class Forbidden(DomainError):
    code = "forbidden"


class PreconditionFailed(DomainError):
    code = "precondition_failed"


class PreconditionRequired(DomainError):
    code = "precondition_required"


class TooManyAttempts(DomainError):
    code = "too_many_attempts"


class PayloadTooLarge(DomainError):
    code = "payload_too_large"


class LoadError(DomainError):
    """A reference file cannot be loaded; the message names what is wrong."""

    code = "load_error"


class InvalidQuery(DomainError):
    """A map-layer query names an unknown property, or a value its field cannot hold."""

    code = "invalid_query"

    def __init__(self, message: str, locator: str = ""):
        # The parameter at fault is the error's one detail: REST and OGC API show it there.
        super().__init__(message, [Problem(locator, message)] if locator else None, locator=locator)
        self.locator = locator


class UnknownCrs(DomainError):
    """A CRS name this service does not recognise or does not serve."""

    code = "unknown_crs"
