"""Credentials: issue, check, list and revoke tokens. Secrets are never stored, only hashes."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, column, func, insert, or_, select, table, update
from sqlalchemy.orm import Session

from app.census.models import Survey, Token
from app.errors import NotFound, Problem, ValidationFailed

# The functions that read the comuni import their table when called: it brings GeoAlchemy2
# (shapely, numpy), which listing and revoking tokens do without (issue 15).

ROLES = ("admin", "analyst", "respondent")
SECRET_PREFIX = "incas_"
DEFAULT_LIFETIME = timedelta(days=365)
# Respondents may correct answers for a while after the wave closes.
RESPONDENT_GRACE = timedelta(days=180)


@dataclass(frozen=True)
class Principal:
    """Who is calling, as far as the domain needs to know."""

    token_id: int | None  # None for the command line, which acts as an admin
    role: str
    label: str
    comuni: frozenset[str]
    survey_id: int | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_analyst(self) -> bool:
        """Analysts and admins see every response (admins also see personal data)."""
        return self.role in ("analyst", "admin")

    def speaks_for(self, comune_code: str, survey_id: int) -> bool:
        """Say whether this respondent may read and write this comune's response."""
        return (
            self.role == "respondent"
            and comune_code in self.comuni
            and (self.survey_id is None or self.survey_id == survey_id)
        )

    @property
    def display(self) -> str:
        return f"{self.role}:{self.label}" if self.label else f"{self.role}#{self.token_id}"


def hash_secret(secret: str) -> str:
    # The secrets carry 256 random bits, so a fast hash is enough: there is nothing to guess.
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _check_comuni(session: Session, codes: Iterable[str]) -> None:
    from app.geo.reference.boundary_models import Comune  # heavy: see the imports

    codes = sorted(set(codes))
    problems = [Problem("comuni", f"{c} is not a 6-digit code") for c in codes if not _code_ok(c)]
    if problems:
        raise ValidationFailed(problems, "bad comune codes")
    known = set(session.scalars(select(Comune.code).where(Comune.code.in_(codes)).distinct()))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValidationFailed(
            [Problem("comuni", f"{c} is not a comune of any loaded vintage") for c in unknown],
            "unknown comuni",
        )


def _code_ok(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


def respondent_expiry(survey: Survey, now: datetime) -> datetime:
    """Return when a respondent token of this wave expires: 180 days after it closes."""
    # Usable for corrections after the wave closes, and never issued already expired.
    return max(survey.closes_at + RESPONDENT_GRACE, now + timedelta(days=30))


def create_token(
    session: Session,
    role: str,
    comuni: Iterable[str] = (),
    label: str = "",
    expires_at: datetime | None = None,
    survey: Survey | None = None,
) -> tuple[Token, str]:
    """Issue one token; return it with its secret, which is not kept anywhere."""
    comuni = sorted(set(comuni))
    if role not in ROLES:
        raise ValidationFailed(
            [Problem("role", f"must be one of {', '.join(ROLES)}")], "cannot issue this token"
        )
    if role == "respondent" and not comuni:
        raise ValidationFailed(
            [Problem("comuni", "a respondent token needs at least one comune")],
            "cannot issue this token",
        )
    if role != "respondent" and comuni:
        raise ValidationFailed(
            [Problem("comuni", f"an {role} token is not bound to comuni")],
            "cannot issue this token",
        )
    _check_comuni(session, comuni)
    now = datetime.now(UTC)
    if expires_at is None and role == "respondent" and survey is not None:
        expires_at = respondent_expiry(survey, now)
    expires_at = expires_at or now + DEFAULT_LIFETIME
    if expires_at <= now:
        raise ValidationFailed(
            [Problem("expires", "must be in the future")], "cannot issue this token"
        )
    secret = new_secret()
    token = Token(
        token_hash=hash_secret(secret),
        prefix=secret[: len(SECRET_PREFIX) + 6],
        role=role,
        label=label,
        comuni=comuni,
        survey_id=survey.id if survey else None,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return token, secret


# Built once: SQLAlchemy then reuses their compiled form instead of keying a new statement.
TOKEN = select(Token.id, Token.role, Token.label, Token.comuni, Token.survey_id).where(
    Token.token_hash == bindparam("token_hash"),
    Token.revoked_at.is_(None),
    Token.expires_at > func.now(),
)
# Which of the token's comuni the wave's vintage has: a respondent's submission then needs no
# query of its own to learn that its comune exists (app/census/validation.py).
# The comuni's two columns as a lightweight table: the mapped class would bring GeoAlchemy2
# into every start of the app's token checks and of `incas tokens list`.
_COMUNI = table("comuni", column("code"), column("vintage"))
_IN_VINTAGE = (
    select(func.array_agg(_COMUNI.c.code))
    .where(_COMUNI.c.vintage == Survey.vintage, _COMUNI.c.code == func.any(Token.comuni))
    .scalar_subquery()
)
TOKEN_AND_WAVE = TOKEN.add_columns(Survey, _IN_VINTAGE).outerjoin(
    Survey, Survey.code == bindparam("code")
)


@dataclass(frozen=True)
class Access:
    """A caller at a wave's door: who, the wave (None if there is none), and which of the
    token's comuni the wave's vintage has."""

    principal: Principal | None
    survey: Survey | None = None
    comuni_in_vintage: frozenset[str] | None = None


def authenticate(session: Session, secret: str) -> Principal | None:
    """Return the principal of a valid, unexpired, unrevoked token, or None."""
    return authenticate_for(session, secret).principal


def authenticate_for(session: Session, secret: str, survey_code: str | None = None) -> Access:
    """Check a token and find the wave `survey_code` names, in one query.

    A request to a wave's door needs both; one round trip instead of two. The wave is not
    looked for when the token is not valid.
    """
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return Access(None)
    stmt = TOKEN if survey_code is None else TOKEN_AND_WAVE
    found = session.execute(stmt, {"token_hash": hash_secret(secret), "code": survey_code}).first()
    if found is None:
        return Access(None)
    token_id, role, label, comuni, survey_id, *wave = found
    principal = Principal(token_id, role, label, frozenset(comuni), survey_id)
    if not wave or wave[0] is None:
        return Access(principal)
    survey, in_vintage = wave
    return Access(principal, survey, frozenset(in_vintage or ()))


def list_tokens(
    session: Session,
    include_inactive: bool = False,
    survey: Survey | None = None,
    role: str | None = None,
    comune: str | None = None,
) -> list[Token]:
    """Return the tokens, newest first; only active ones unless asked; of a wave, role, comune."""
    if role is not None and role not in ROLES:
        raise ValidationFailed(
            [Problem("role", f"{role} is not one of {', '.join(ROLES)}")], "cannot list tokens"
        )
    stmt = select(Token).order_by(Token.id.desc())
    if not include_inactive:
        stmt = stmt.where(Token.revoked_at.is_(None), Token.expires_at > func.now())
    if survey is not None:
        stmt = stmt.where(Token.survey_id == survey.id)
    if role is not None:
        stmt = stmt.where(Token.role == role)
    if comune is not None:
        stmt = stmt.where(Token.comuni.contains([comune]))
    return list(session.scalars(stmt))


def revoke_token(session: Session, ident: str) -> int:
    """Revoke the token with this id or secret prefix; return how many were revoked."""
    match = Token.prefix == ident
    if ident.isdigit():
        match = or_(match, Token.id == int(ident))
    # An UPDATE's result has a rowcount; the type stubs do not say so.
    n = session.execute(  # type: ignore[attr-defined]
        update(Token).where(match, Token.revoked_at.is_(None)).values(revoked_at=func.now())
    ).rowcount
    if n == 0:
        raise NotFound(f"no active token matches {ident}")
    return n


@dataclass(frozen=True)
class Credential:
    """A respondent's secret, to be mailed to the comune."""

    comune_code: str
    comune_name: str
    province: str | None
    token: str
    expires_at: datetime


def issue_respondents(
    session: Session,
    survey: Survey,
    progress: Callable[[int, int], None] | None = None,
) -> list[Credential]:
    """Issue one respondent token per comune of the wave's vintage; return the secrets."""
    from app.geo.reference.boundary_models import Comune  # heavy: see the imports

    comuni = session.execute(
        select(Comune.code, Comune.name, Comune.province_acronym)
        .where(Comune.vintage == survey.vintage)
        .order_by(Comune.code)
    ).all()
    expires_at = respondent_expiry(survey, datetime.now(UTC))
    rows, credentials = [], []
    for code, name, province in comuni:
        secret = new_secret()
        rows.append(
            {
                "token_hash": hash_secret(secret),
                "prefix": secret[: len(SECRET_PREFIX) + 6],
                "role": "respondent",
                "label": f"{survey.code} {code}",
                "comuni": [code],
                "survey_id": survey.id,
                "expires_at": expires_at,
            }
        )
        credentials.append(Credential(code, name, province, secret, expires_at))
    for start in range(0, len(rows), 1000):
        session.execute(insert(Token), rows[start : start + 1000])
        if progress:
            progress(min(start + 1000, len(rows)), len(rows))
    return credentials


@dataclass(frozen=True)
class ComuneRef:
    """A comune a token speaks for, named in one vintage (no name if absent from it)."""

    code: str
    name: str | None
    province_acronym: str | None


@dataclass(frozen=True)
class TokenFacts:
    """What a caller may learn about its own token: role, label, wave and comuni."""

    role: str
    label: str
    survey: str | None
    vintage: int | None
    comuni: list[ComuneRef]


def describe(session: Session, principal: Principal, survey: Survey | None = None) -> TokenFacts:
    """Describe the caller's own token, naming its comuni in the vintage of `survey`.

    Without `survey`, the token's own wave names them, else the newest loaded vintage.
    """
    from app.geo.reference.boundary_models import Comune  # heavy: see the imports

    bound = session.get(Survey, principal.survey_id) if principal.survey_id else None
    wave = survey or bound
    vintage = wave.vintage if wave else session.scalar(select(func.max(Comune.vintage)))
    codes = sorted(principal.comuni)
    found = {
        code: (name, province)
        for code, name, province in session.execute(
            select(Comune.code, Comune.name, Comune.province_acronym).where(
                Comune.vintage == vintage, Comune.code.in_(codes)
            )
        )
    }
    comuni = [ComuneRef(c, *found.get(c, (None, None))) for c in codes]
    return TokenFacts(
        principal.role, principal.label, bound.code if bound else None, vintage, comuni
    )
