"""Concurrent retries and corrections over HTTP, against a real uvicorn process.

Each request runs in its own server thread with its own database connection and commits on
its own, so the database's unique constraints, not the test, decide the outcome.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.census.models import Response, Revision
from tests.utils.auth import bearer, token
from tests.utils.documents import document, open_survey
from tests.utils.live import live_server

pytestmark = [pytest.mark.clients, pytest.mark.database("own")]

N = 20
# Fewer worker threads than concurrent requests: the retries waiting on the first one's row
# lock hold every thread, and the first must still commit and answer.
THREADS = 8


@pytest.fixture(scope="module")
def live_url(database_url: str, tmp_path_factory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("live") / "uvicorn.log"
    with live_server(database_url, log, env={"INCAS_WORKER_THREADS": str(THREADS)}) as url:
        yield url


@pytest.fixture
def wave(engine):
    """A committed wave and respondent token (the module's database goes with them)."""
    code = f"conc-{uuid.uuid4().hex[:8]}"
    with Session(engine) as session, session.begin():
        survey = open_survey(session, code=code)
        secret = token(session, "respondent", ("071051",), label="concurrency")
        survey_id = survey.id
    return code, bearer(secret), survey_id


def _parallel(requests) -> list[httpx.Response]:
    with httpx.Client(timeout=60) as http, ThreadPoolExecutor(N) as pool:
        return list(pool.map(lambda req: req(http), requests))


def test_20_concurrent_posts_of_one_document_store_one_response(live_url, engine, wave):
    code, headers, survey_id = wave
    doc = document()
    url = f"{live_url}/api/v1/surveys/{code}/responses"

    answers = _parallel([lambda http: http.post(url, json=doc, headers=headers)] * N)

    statuses = Counter(r.status_code for r in answers)
    assert statuses == {201: 1, 200: N - 1}, [r.text for r in answers if r.status_code >= 300]
    assert len({r.json()["etag"] for r in answers}) == 1
    with Session(engine) as session:
        responses = session.scalar(
            select(func.count()).select_from(Response).where(Response.survey_id == survey_id)
        )
        revisions = session.scalar(
            select(func.count())
            .select_from(Revision)
            .join(Response)
            .where(Response.survey_id == survey_id)
        )
    assert (responses, revisions) == (1, 1)


def test_20_concurrent_puts_with_one_etag_let_exactly_one_win(live_url, engine, wave):
    code, headers, survey_id = wave
    url = f"{live_url}/api/v1/surveys/{code}/responses"
    created = httpx.post(url, json=document(), headers=headers, timeout=30)
    etag = created.headers["ETag"]
    base = created.json()["document"]
    # Twenty different corrections, all made against the same revision.
    corrections = [{**base, "notes": f"correction {i}"} for i in range(N)]

    answers = _parallel(
        [
            lambda http, doc=doc: http.put(
                f"{url}/071051", json=doc, headers={**headers, "If-Match": etag}
            )
            for doc in corrections
        ]
    )

    statuses = Counter(r.status_code for r in answers)
    assert statuses == {200: 1, 412: N - 1}, [r.text for r in answers if r.status_code != 412]
    winner = next(r for r in answers if r.status_code == 200).json()
    current = httpx.get(f"{url}/071051", headers=headers, timeout=30).json()
    assert current["revision"] == 2
    assert current["document"]["notes"] == winner["document"]["notes"]
    with Session(engine) as session:
        revisions = session.scalar(
            select(func.count())
            .select_from(Revision)
            .join(Response)
            .where(Response.survey_id == survey_id)
        )
    assert revisions == 2
