"""Responses: create, retry, correct, read and list a comune's answers, keeping every revision.

Concurrency rests on two unique constraints, not on luck:
- `responses (survey_id, submission_id)` and `(survey_id, comune_code)`: concurrent POSTs race on
  `insert ... on conflict do nothing`; exactly one row is created and the others see it;
- `revisions (response_id, revision)`: concurrent PUTs with the same ETag all try to write the
  next revision number; one wins, the others hit the constraint and answer 412.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from geoalchemy2.shape import from_shape
from shapely import point_on_surface
from sqlalchemy import Table, bindparam, delete, func, insert, select, text
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.census.models import Response, Revision, Survey
from app.census.questionnaire import Document, location_geometry
from app.census.settlement_models import FormalSettlementRow, InformalSettlementRow
from app.census.surveys import is_open
from app.census.tokens import Principal
from app.census.validation import ValidDocument, content_hash, parse_json, validate_document
from app.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
)
from app.geo.reference.boundary_models import Comune
from app.geo.reference.comuni import in_province, in_region
from app.wording import a_or_an


class ResponseExists(Conflict):
    """The comune has already answered this wave: a correction is a new revision (PUT)."""

    def __init__(self, survey_code: str, comune_code: str):
        super().__init__(
            "response_exists",
            f"comune {comune_code} already answered survey {survey_code}; correct it with PUT "
            "and the current ETag in If-Match",
        )
        self.comune_code = comune_code


@dataclass(frozen=True)
class StoredResponse:
    """The current revision of a response, as a caller may see it."""

    survey: str
    comune_code: str
    revision: int
    etag: str
    submission_id: str
    created_at: datetime
    updated_at: datetime
    updated_by: str
    quality_flags: list[dict]
    document: dict


def etag_of(revision: int, content_hash: str) -> str:
    return f'"{revision}-{content_hash[:16]}"'


def visible_document(document: dict, principal: Principal, survey: Survey) -> dict:
    """Drop the respondent's personal data unless the caller may read it."""
    if principal.is_admin or principal.speaks_for(document.get("comune_code", ""), survey.id):
        return document
    return {k: v for k, v in document.items() if k != "respondent"}


def _authorize_write(principal: Principal, survey: Survey, comune_code: object) -> bool:
    """Check the caller may write this comune now; return whether it is outside the window."""
    if not (principal.is_admin or principal.role == "respondent"):
        raise Forbidden(f"{a_or_an(principal.role)} token cannot write responses")
    # A malformed or missing code is left to validation, which names it.
    if (
        principal.role == "respondent"
        and isinstance(comune_code, str)
        and len(comune_code) == 6
        and comune_code.isdigit()
        and not principal.speaks_for(comune_code, survey.id)
    ):
        raise Forbidden(_refusal(principal, survey, f"does not write for comune {comune_code}"))
    if is_open(survey):
        return False
    if not principal.is_admin:
        raise Conflict(
            "survey_closed",
            f"survey {survey.code} is open from {survey.opens_at:%Y-%m-%d %H:%M} to "
            f"{survey.closes_at:%Y-%m-%d %H:%M} UTC",
        )
    return True


def _authorize_read(principal: Principal, survey: Survey, comune_code: str) -> None:
    if not (principal.is_analyst or principal.speaks_for(comune_code, survey.id)):
        raise Forbidden(_refusal(principal, survey, f"does not read comune {comune_code}"))


def _refusal(principal: Principal, survey: Survey, otherwise: str) -> str:
    """Say why a respondent may not: its token is for another wave, or else `otherwise`."""
    if principal.survey_id is not None and principal.survey_id != survey.id:
        return f"this token is for another survey wave, not {survey.code}"
    return f"this token {otherwise}"


def _settlement_geometry(location) -> tuple:
    if location is None:
        return None, None
    geom = location_geometry(location)
    point = geom if geom.geom_type == "Point" else point_on_surface(geom)
    return from_shape(geom, srid=4326), from_shape(point, srid=4326)


# Core statements on the tables, compiled once: the ORM's per-call work costs more than the
# database round trip when an import writes thousands of documents.
RESPONSES = cast(Table, Response.__table__)
REVISIONS = cast(Table, Revision.__table__)
FORMAL = cast(Table, FormalSettlementRow.__table__)
INFORMAL = cast(Table, InformalSettlementRow.__table__)
RESPONSE_COLUMNS = (
    "survey_id", "comune_code", "submission_id", "revision", "etag", "workers_present",
    "workers_stable", "workers_seasonal", "seasonal_months", "women_share",
    "private_housing_share", "quality_flags",
)  # fmt: skip
FIRST_REVISION_COLUMNS = (
    "kind", "document", "content_hash", "token_id", "created_by", "created_by_role",
    "outside_window",
)  # fmt: skip
_CREATED = (
    pg_insert(RESPONSES)
    .values({c: bindparam(f"r_{c}", type_=RESPONSES.c[c].type) for c in RESPONSE_COLUMNS})
    .on_conflict_do_nothing()
    .returning(
        RESPONSES.c.id,
        RESPONSES.c.created_at,
        RESPONSES.c.updated_at,
        RESPONSES.c.revision,
        RESPONSES.c.submission_id,
        RESPONSES.c.quality_flags,
    )
    .cte("created")
)
_FIRST_REVISION = (
    insert(REVISIONS)
    .from_select(
        ["response_id", "revision", "submission_id", "quality_flags", *FIRST_REVISION_COLUMNS],
        select(
            _CREATED.c.id,
            _CREATED.c.revision,
            _CREATED.c.submission_id,
            _CREATED.c.quality_flags,
            *[
                # Cast: PostgreSQL would read a NULL token id in a select list as text.
                sql_cast(bindparam(f"v_{c}", type_=REVISIONS.c[c].type), REVISIONS.c[c].type)
                for c in FIRST_REVISION_COLUMNS
            ],
        ),
    )
    .cte("first_revision")
)
# A new response and its first revision in one statement, one round trip: nothing is
# inserted (and no row comes back) if the comune or the submission is already there.
CREATE = select(_CREATED.c.id, _CREATED.c.created_at, _CREATED.c.updated_at).add_cte(
    _FIRST_REVISION
)
REVISION_INSERT = insert(REVISIONS)


def _current_fields(doc: Document, flags: list[dict]) -> dict:
    """Return the columns of `responses` that mirror the current revision."""
    w = doc.workers
    return {
        "workers_present": doc.workers_present,
        "workers_stable": w.stable if w else None,
        "workers_seasonal": w.seasonal if w else None,
        "seasonal_months": list(w.seasonal_months) if w else [],
        "women_share": w.women_share if w else None,
        "private_housing_share": doc.private_housing_share,
        "quality_flags": flags,
    }


def _insert_settlements(session: Session, response_id: int, survey_id: int, doc: Document) -> None:
    """Mirror the current revision's settlements into relational rows."""
    common = {"response_id": response_id, "survey_id": survey_id, "comune_code": doc.comune_code}
    formal = []
    for i, s in enumerate(doc.formal_settlements):
        location, point = _settlement_geometry(s.location)
        formal.append(
            {
                **common, "position": i, "name": s.name, "type": s.type.value,
                "managed_by": s.managed_by.value if s.managed_by else None,
                "capacity": s.capacity, "occupants": s.occupants, "seasonal": s.seasonal,
                "open_months": list(s.open_months), "location": location, "point": point,
                **s.services.model_dump(),
            }
        )  # fmt: skip
    informal = []
    for i, t in enumerate(doc.informal_settlements):
        location, point = _settlement_geometry(t.location)
        informal.append(
            {
                **common, "position": i, "name": t.name, "type": t.type.value,
                "persons_min": t.persons_min, "persons_max": t.persons_max,
                "peak_months": list(t.peak_months), "since_year": t.since_year,
                "distance_to_work_km": t.distance_to_work_km,
                "public_transport": t.public_transport, "location": location, "point": point,
                **t.services.model_dump(),
            }
        )  # fmt: skip
    if formal:
        session.execute(insert(FORMAL), formal)
    if informal:
        session.execute(insert(INFORMAL), informal)


def _insert_revision(
    session: Session,
    response_id: int,
    number: int,
    kind: str,
    valid: ValidDocument,
    principal: Principal,
    outside_window: bool,
) -> None:
    session.execute(
        REVISION_INSERT,
        {
            "response_id": response_id,
            "revision": number,
            "kind": kind,
            "submission_id": valid.document.submission_id,
            "document": valid.data,
            "content_hash": valid.content_hash,
            "quality_flags": valid.quality_flags,
            "token_id": principal.token_id,
            "created_by": principal.display,
            "created_by_role": principal.role,
            "outside_window": outside_window,
        },
    )


def _stored(
    session: Session, survey: Survey, response: Response, principal: Principal
) -> StoredResponse:
    current = session.scalar(
        select(Revision).where(
            Revision.response_id == response.id, Revision.revision == response.revision
        )
    )
    assert current is not None
    return StoredResponse(
        survey=survey.code,
        comune_code=response.comune_code,
        revision=response.revision,
        etag=response.etag,
        submission_id=str(response.submission_id),
        created_at=response.created_at,
        updated_at=current.created_at,
        updated_by=current.created_by,
        quality_flags=response.quality_flags,
        document=visible_document(current.document, principal, survey),
    )


def _retry_of(session: Session, survey: Survey, valid: ValidDocument) -> int | None:
    """Find the stored response a re-sent submission repeats; a conflict if it differs."""
    original = (
        select(RESPONSES.c.id, REVISIONS.c.content_hash)
        .join(
            REVISIONS, (REVISIONS.c.response_id == RESPONSES.c.id) & (REVISIONS.c.kind == "create")
        )
        .where(
            RESPONSES.c.survey_id == survey.id,
            RESPONSES.c.submission_id == valid.document.submission_id,
        )
    )
    found = session.execute(original).first()
    if found is None:
        return None
    response_id, stored_hash = found
    # The hash settles the usual identical retry without loading the stored document.
    if stored_hash == valid.content_hash:
        return response_id
    stored = session.scalar(original.with_only_columns(REVISIONS.c.document))
    if stored != valid.data and not _same_but_erased(stored, valid.data):
        raise Conflict(
            "submission_conflict",
            f"submission {valid.document.submission_id} was already received with other content",
        )
    return response_id


def _same_but_erased(stored: dict | None, sent: dict) -> bool:
    """A retry after an erasure differs only by the respondent block that was blanked."""
    if stored is None or stored.get("respondent") is not None:
        return False
    return {k: v for k, v in stored.items() if k != "respondent"} == {
        k: v for k, v in sent.items() if k != "respondent"
    }


def submit(
    session: Session,
    survey: Survey,
    principal: Principal,
    raw: bytes | dict,
    answer: bool = True,
    known_comuni: frozenset[str] | None = None,
) -> tuple[StoredResponse | None, bool]:
    """Create a comune's response; return it (unless `answer` is off) and whether it is new.

    A retry of a stored submission is not new: it returns the stored response.
    `known_comuni`: codes already known to exist in the wave's vintage (see validation).
    """
    data = raw if isinstance(raw, dict) else parse_json(raw)
    outside = _authorize_write(principal, survey, data.get("comune_code"))
    valid = validate_document(session, survey.vintage, raw, parsed=data, known_comuni=known_comuni)
    doc = valid.document
    etag = etag_of(1, valid.content_hash)
    response_row = {
        "survey_id": survey.id,
        "comune_code": doc.comune_code,
        "submission_id": doc.submission_id,
        "revision": 1,
        "etag": etag,
        **_current_fields(doc, valid.quality_flags),
    }
    revision_row = {
        "kind": "create",
        "document": valid.data,
        "content_hash": valid.content_hash,
        "token_id": principal.token_id,
        "created_by": principal.display,
        "created_by_role": principal.role,
        "outside_window": outside,
    }
    created = session.execute(
        CREATE,
        {f"r_{k}": v for k, v in response_row.items()}
        | {f"v_{k}": v for k, v in revision_row.items()},
    ).first()
    if created is None:
        # Already there: this submission (a retry, perhaps concurrent), or another one.
        retry = _retry_of(session, survey, valid)
        if retry is not None:
            response = session.get(Response, retry)
            assert response is not None
            return (_stored(session, survey, response, principal) if answer else None), False
        raise ResponseExists(survey.code, doc.comune_code)
    response_id, created_at, updated_at = created
    _insert_settlements(session, response_id, survey.id, doc)
    if not answer:
        return None, True
    # Everything the answer holds is known: the revision's created_at is the transaction's
    # now(), as the response's is, so nothing needs reading back.
    stored = StoredResponse(
        survey=survey.code,
        comune_code=doc.comune_code,
        revision=1,
        etag=etag,
        submission_id=str(doc.submission_id),
        created_at=created_at,
        updated_at=updated_at,
        updated_by=principal.display,
        quality_flags=valid.quality_flags,
        document=visible_document(valid.data, principal, survey),
    )
    return stored, True


def _response(session: Session, survey: Survey, comune_code: str) -> Response:
    response = session.scalar(
        select(Response).where(Response.survey_id == survey.id, Response.comune_code == comune_code)
    )
    if response is None:
        raise NotFound(f"comune {comune_code} has no response to survey {survey.code}")
    return response


def replace(
    session: Session,
    survey: Survey,
    principal: Principal,
    comune_code: str,
    raw: bytes | dict,
    if_match: str | None,
) -> StoredResponse:
    """Write a new revision of a response, if the caller saw the current one."""
    data = raw if isinstance(raw, dict) else parse_json(raw)
    outside = _authorize_write(principal, survey, comune_code)
    response = _response(session, survey, comune_code)
    if not if_match:
        raise PreconditionRequired(
            "a correction needs If-Match with the ETag of the revision it corrects"
        )
    if if_match.strip() not in (response.etag, "W/" + response.etag):
        raise PreconditionFailed(
            f"the response changed since {if_match}; the current ETag is {response.etag}"
        )
    valid = validate_document(session, survey.vintage, data, comune_code=comune_code)
    number = response.revision + 1
    try:
        with session.begin_nested():
            _insert_revision(session, response.id, number, "update", valid, principal, outside)
    except IntegrityError as exc:
        raise PreconditionFailed(
            "another correction of this response was saved first; reload it and retry"
        ) from exc
    response.revision = number
    response.etag = etag_of(number, valid.content_hash)
    response.updated_at = datetime.now(UTC)
    for key, value in _current_fields(valid.document, valid.quality_flags).items():
        setattr(response, key, value)
    for table in (FormalSettlementRow, InformalSettlementRow):
        session.execute(delete(table).where(table.response_id == response.id))
    _insert_settlements(session, response.id, survey.id, valid.document)
    session.flush()
    return _stored(session, survey, response, principal)


def current(
    session: Session, survey: Survey, principal: Principal, comune_code: str
) -> StoredResponse:
    """Return the current revision of a comune's response."""
    _authorize_read(principal, survey, comune_code)
    return _stored(session, survey, _response(session, survey, comune_code), principal)


@dataclass(frozen=True)
class RevisionInfo:
    revision: int
    kind: str
    submission_id: str
    created_at: datetime
    created_by: str
    created_by_role: str
    outside_window: bool
    respondent_erased_at: datetime | None
    quality_flags: list[dict]


def revisions(
    session: Session, survey: Survey, principal: Principal, comune_code: str,
    limit: int, offset: int,
) -> tuple[list[RevisionInfo], int]:  # fmt: skip
    """List the revisions of a response, oldest first, with who made each and when."""
    _authorize_read(principal, survey, comune_code)
    response = _response(session, survey, comune_code)
    where = Revision.response_id == response.id
    total = session.scalar(select(func.count()).where(where)) or 0
    rows = session.scalars(
        select(Revision).where(where).order_by(Revision.revision).limit(limit).offset(offset)
    )
    items = [
        RevisionInfo(
            r.revision,
            r.kind,
            str(r.submission_id),
            r.created_at,
            r.created_by,
            r.created_by_role,
            r.outside_window,
            r.respondent_erased_at,
            r.quality_flags,
        )  # fmt: skip
        for r in rows
    ]
    return items, total


@dataclass(frozen=True)
class ResponseFilter:
    region: str | None = None
    province: str | None = None
    workers_present: bool | None = None


def list_responses(
    session: Session, survey: Survey, principal: Principal, flt: ResponseFilter,
    limit: int, offset: int,
) -> tuple[list[dict], int]:  # fmt: skip
    """List the responses of a wave for analysts: no personal data, ever."""
    if not principal.is_analyst:
        raise Forbidden("listing responses is for analysts")
    formal = (
        select(func.count()).where(FormalSettlementRow.response_id == Response.id).scalar_subquery()
    )
    informal = (
        select(func.count())
        .where(InformalSettlementRow.response_id == Response.id)
        .scalar_subquery()
    )
    stmt = (
        select(
            Response.comune_code,
            Comune.name.label("comune_name"),
            Comune.province_code,
            Comune.province_acronym,
            Comune.region_code,
            Comune.region_name,
            Response.workers_present,
            Response.workers_stable,
            Response.workers_seasonal,
            formal.label("formal_settlements"),
            informal.label("informal_settlements"),
            Response.revision,
            Response.updated_at,
            Response.quality_flags,
        )  # fmt: skip
        .join(Comune, (Comune.code == Response.comune_code) & (Comune.vintage == survey.vintage))
        .where(Response.survey_id == survey.id)
    )
    if flt.region:
        stmt = stmt.where(in_region(flt.region))
    if flt.province:
        stmt = stmt.where(in_province(flt.province))
    if flt.workers_present is not None:
        stmt = stmt.where(Response.workers_present.is_(flt.workers_present))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(stmt.order_by(Response.comune_code).limit(limit).offset(offset))
    return [dict(r._mapping) for r in rows], total


# Blank the personal data in place; the answers and the history of who wrote what remain.
ERASE = text(
    """
    update revisions set document = jsonb_set(document, '{respondent}', 'null'::jsonb),
           respondent_erased_at = coalesce(respondent_erased_at, :now)
    where response_id = :response_id
    returning revision, document
    """
)


def erase_respondents(
    session: Session, survey: Survey, comune_code: str | None, principal: Principal
) -> int:
    """Blank the respondent block in every revision; record the erasure, not the data."""
    stmt = select(Response).where(Response.survey_id == survey.id)
    if comune_code:
        stmt = stmt.where(Response.comune_code == comune_code)
    responses = list(session.scalars(stmt.with_for_update()))
    if comune_code and not responses:
        raise NotFound(f"comune {comune_code} has no response to survey {survey.code}")
    now = datetime.now(UTC)
    for response in responses:
        erased = session.execute(ERASE, {"now": now, "response_id": response.id}).all()
        documents: dict[int, dict] = dict(erased)  # type: ignore[arg-type]
        latest = documents[response.revision]
        number = response.revision + 1
        blanked_hash = content_hash(latest)
        session.execute(
            REVISION_INSERT,
            {
                "response_id": response.id, "revision": number, "kind": "erasure",
                "submission_id": latest["submission_id"], "document": latest,
                "content_hash": blanked_hash, "quality_flags": response.quality_flags,
                "token_id": principal.token_id, "created_by": principal.display,
                "created_by_role": principal.role, "outside_window": False,
                "respondent_erased_at": now,
            },
        )  # fmt: skip
        response.revision = number
        response.etag = etag_of(number, blanked_hash)
    session.flush()
    return len(responses)
