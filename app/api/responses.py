"""REST: survey clients create, retry and correct responses; analysts list them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import BaseModel, Field

from app.api.auth import CallerDep
from app.api.deps import Page, PagingDep, SessionDep, SurveyDep
from app.census import responses
from app.errors import PayloadTooLarge

router = APIRouter(prefix="/api/v1/surveys/{survey_code}/responses", tags=["responses"])

MAX_BODY = 2 * 1024 * 1024
ComunePath = Annotated[str, Path(pattern=r"^\d{6}$", description="6-digit ISTAT code.")]
DOCUMENT_BODY = {
    "requestBody": {
        "required": True,
        "description": "The response document (contract v1), at most 2 MB.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Document"}}},
    }
}


async def document_body(request: Request) -> bytes:
    """Read the body, refusing more than 2 MB before reading it all."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY:
        raise PayloadTooLarge(f"the body is {int(length)} bytes; the limit is {MAX_BODY}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise PayloadTooLarge(f"the body exceeds the limit of {MAX_BODY} bytes")
    return bytes(body)


class QualityFlag(BaseModel):
    path: str
    flag: str
    message: str


class StoredResponseOut(BaseModel):
    """The current revision of a comune's response."""

    survey: str
    comune_code: str
    revision: int = Field(description="1 for the first submission, +1 per correction.")
    etag: str = Field(description="Send it back in If-Match to correct the response.")
    submission_id: str = Field(description="The submission that created the response.")
    created_at: datetime
    updated_at: datetime
    updated_by: str
    quality_flags: list[QualityFlag]
    document: dict = Field(description="The document; `respondent` only for its comune or admins.")


class RevisionOut(BaseModel):
    revision: int
    kind: str = Field(description="create, update or erasure.")
    submission_id: str
    created_at: datetime
    created_by: str
    created_by_role: str
    outside_window: bool = Field(description="An admin wrote while the wave was closed.")
    respondent_erased_at: datetime | None
    quality_flags: list[QualityFlag]


class ResponseSummary(BaseModel):
    """A response in the analysts' listing: no personal data."""

    comune_code: str
    comune_name: str
    province_code: str
    province_acronym: str | None
    region_code: str
    region_name: str
    workers_present: bool
    workers_stable: int | None = Field(description="Persons.")
    workers_seasonal: int | None = Field(description="Persons.")
    formal_settlements: int
    informal_settlements: int
    revision: int
    updated_at: datetime
    quality_flags: list[QualityFlag]


def _answer(http: Response, stored: responses.StoredResponse) -> responses.StoredResponse:
    http.headers["ETag"] = stored.etag
    return stored


def _written(stored: responses.StoredResponse, status: int, headers: dict[str, str]) -> Response:
    """Answer a write already committed and serialised, in the handler's own thread.

    FastAPI would otherwise serialise the answer on another worker thread before the commit;
    with every thread held by retries waiting on this write's row lock, none would be free and
    the commit that releases the lock would never come. The handler commits on its own thread
    too, for the same reason (no other thread is needed to release the lock) and because it
    saves a trip to another one; the session's dependency then finds nothing left to commit.
    """
    body = StoredResponseOut.model_validate(stored, from_attributes=True).model_dump_json()
    headers = {**headers, "ETag": stored.etag}
    return Response(body, status_code=status, headers=headers, media_type="application/json")


DocumentBody = Annotated[bytes, Depends(document_body)]


@router.post(
    "",
    status_code=201,
    response_model=StoredResponseOut,
    summary="Submit a comune's response (201; 200 for an identical retry)",
    openapi_extra=DOCUMENT_BODY,
    responses={200: {"description": "An identical retry: the stored response, nothing created."}},
)
def create_response(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    survey: SurveyDep,
    body: DocumentBody,
) -> Response:
    # Which of the caller's comuni exist in the wave's vintage, learnt with its token.
    known = getattr(request.state, "comuni_in_vintage", None)
    try:
        stored, created = responses.submit(session, survey, caller, body, known_comuni=known)
    except responses.ResponseExists as exc:
        # Where the correction goes: the URL is the API's to say, not the domain's.
        exc.extra["pointer"] = request.app.url_path_for(
            "replace_response", survey_code=survey.code, comune_code=exc.comune_code
        )
        raise
    assert stored is not None  # submit answers the stored response unless told not to
    session.commit()  # here, on this thread: see `_written`
    location = f"/api/v1/surveys/{survey.code}/responses/{stored.comune_code}"
    return _written(stored, 201 if created else 200, {"Location": location})


@router.get(
    "",
    response_model=Page[ResponseSummary],
    summary="List a wave's responses (analysts; never personal data)",
)
def list_responses(
    session: SessionDep,
    caller: CallerDep,
    survey: SurveyDep,
    page: PagingDep,
    region: Annotated[str | None, Query(description="Region code or name.")] = None,
    province: Annotated[str | None, Query(description="Province code or acronym.")] = None,
    workers_present: bool | None = None,
):
    flt = responses.ResponseFilter(region, province, workers_present)
    items, total = responses.list_responses(session, survey, caller, flt, page.limit, page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/{comune_code}",
    response_model=StoredResponseOut,
    summary="The current revision of a comune's response, with its ETag",
)
def get_response(
    session: SessionDep,
    caller: CallerDep,
    survey: SurveyDep,
    comune_code: ComunePath,
    http: Response,
):
    return _answer(http, responses.current(session, survey, caller, comune_code))


@router.put(
    "/{comune_code}",
    response_model=StoredResponseOut,
    summary="Correct a response: a new revision (needs If-Match)",
    openapi_extra=DOCUMENT_BODY,
)
def replace_response(
    session: SessionDep,
    caller: CallerDep,
    survey: SurveyDep,
    comune_code: ComunePath,
    body: DocumentBody,
    if_match: Annotated[
        str | None, Header(description="The ETag of the revision being corrected.")
    ] = None,
) -> Response:
    stored = responses.replace(session, survey, caller, comune_code, body, if_match)
    session.commit()  # here, on this thread: see `_written`
    return _written(stored, 200, {})


@router.get(
    "/{comune_code}/revisions",
    response_model=Page[RevisionOut],
    summary="Every revision of a response: who made it, when, and how",
)
def list_revisions(
    session: SessionDep, caller: CallerDep, survey: SurveyDep, comune_code: ComunePath,
    page: PagingDep,
):  # fmt: skip
    items, total = responses.revisions(
        session, survey, caller, comune_code, page.limit, page.offset
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)
