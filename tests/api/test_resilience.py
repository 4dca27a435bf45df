"""The service when the database goes away, a worker is killed, or the service is stopped.

These tests take PostgreSQL down, so they run on a private throwaway cluster (tests/utils/
cluster.py), never on the shared server, with the small comuni slices, and against the real
service in its own processes: uvicorn, and `incas serve --workers 2` as `make run` serves it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from lxml import etree
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.census.models import Survey
from app.db import make_engine
from app.geo.reference.loader import Attributes, load_comuni
from tests.utils import databases
from tests.utils.auth import token
from tests.utils.cluster import Cluster, embedded_pg, private_cluster, wait_until_accepting
from tests.utils.documents import document, open_survey
from tests.utils.integrity import integrity
from tests.utils.live import ROOT, free_port, live_server
from tests.utils.load import Behaviour, Connection, Job, Ledger, retry_deferred, submit_all

FIXTURES = Path(__file__).parents[1] / "fixtures"
SLICE = ["072001", "072037", "072040", "081019", "087009", "071051", "071024", "071043",
         "071003", "071004", "071054", "040012", "041033", "041060"]  # fmt: skip


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with private_cluster() as c:
        yield c


@pytest.fixture(scope="module")
def db_url(cluster: Cluster) -> str:
    """A migrated database on the private cluster, holding the 2021 slice of comuni."""
    cluster.psql("create database incas_faults")
    url = cluster.url("incas_faults")
    databases.migrate(url)
    engine = make_engine(url)
    attributes = Attributes.read(databases.DATA / "comuni_2020_attributes.json")
    with Session(engine) as session, session.begin():
        load_comuni(session, FIXTURES / "comuni_2021_slice.gpkg", 2021, attributes)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def respondent(engine: Engine) -> str:
    """A respondent token for every comune of the slice, in any wave."""
    with Session(engine) as session, session.begin():
        return token(session, "respondent", tuple(SLICE), label="resilience")


@pytest.fixture(scope="module")
def server(db_url: str, tmp_path_factory) -> Iterator[str]:
    with live_server(db_url, tmp_path_factory.mktemp("live") / "uvicorn.log") as url:
        yield url


def open_waves(engine: Engine, n: int) -> list[tuple[int, str]]:
    """Open `n` fresh waves on the slice; return (id, code) of each."""
    waves = []
    with Session(engine) as session, session.begin():
        for _ in range(n):
            survey = open_survey(session, code=f"res-{uuid.uuid4().hex[:8]}")
            waves.append((survey.id, survey.code))
    return waves


def jobs_for(waves: list[tuple[int, str]], secret: str) -> list[Job]:
    """One submission per comune of the slice and wave (San Severo's carries settlements)."""
    jobs = []
    for _, code in waves:
        for comune in SLICE:
            doc = document(comune)
            body = json.dumps(doc).encode()
            jobs.append(
                Job(doc["submission_id"], body, secret, f"/api/v1/surveys/{code}/responses")
            )
    return jobs


def assert_all_stored_once(engine: Engine, waves, ledger: Ledger, jobs: list[Job]) -> None:
    """Acknowledged = stored, once each, every response whole."""
    stored: Counter = Counter()
    for survey_id, _ in waves:
        found = integrity(engine, survey_id)
        assert found.whole, found.broken
        stored.update(found.stored)
    assert set(ledger.acknowledged) == {j.submission_id for j in jobs}
    assert set(stored) == set(ledger.acknowledged)
    assert max(stored.values()) == 1
    assert not ledger.unexpected and not ledger.mismatched_etags


# --- the database goes away --------------------------------------------------------------

DOORS = {
    "rest": "/api/v1/comuni?limit=1",
    "rest_survey": "/api/v1/surveys",
    "wfs": "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetCapabilities",
    "wfs_features": "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=comuni_2021",
    "ogc": "/ogc/collections",
    "ogc_items": "/ogc/collections/comuni_2021/items?limit=2",
    "tiles": "/tiles/comuni_2021/8/138/94.mvt",
    "exports": "/exports/comuni_2021.csv",
}


def test_every_door_answers_503_while_the_database_is_down_and_recovers(
    cluster: Cluster, server: str, respondent: str, engine: Engine
):
    [(_, code)] = open_waves(engine, 1)
    auth = {"Authorization": f"Bearer {respondent}"}
    with httpx.Client(base_url=server, timeout=30) as http:
        assert all(http.get(path).status_code == 200 for path in DOORS.values())
        cluster.stop("fast")
        try:
            answers = {door: http.get(path) for door, path in DOORS.items()}
            answers["post"] = http.post(f"/api/v1/surveys/{code}/responses",
                                        json=document("071051"), headers=auth)  # fmt: skip
            answers["token"] = http.get(f"/api/v1/surveys/{code}/responses/071051", headers=auth)
            answers["wave_wfs"] = http.get(
                f"/surveys/{code}/wfs?SERVICE=WFS&REQUEST=GetCapabilities"
            )
            health = http.get("/health")
        finally:
            cluster.start()
            # The test's own connections died with the server. The app must renew its pool by
            # itself (below); this helper engine is no app, and the next use may come within
            # the second in which a returned connection is trusted without a ping (app/db.py).
            engine.dispose()
        assert health.status_code == 503
        for door, answer in answers.items():
            assert answer.status_code == 503, (door, answer.text)
            assert answer.headers["retry-after"].isdigit(), door
        for door in ("wfs", "wfs_features", "wave_wfs"):
            report = etree.fromstring(answers[door].content)
            assert etree.QName(report).localname == "ExceptionReport", door
            assert report[0].get("exceptionCode") == "NoApplicableCode"
        for door in ("ogc", "ogc_items"):
            assert answers[door].headers["content-type"] == "application/problem+json"
            assert answers[door].json()["status"] == 503
        for door in ("rest", "rest_survey", "post", "token", "tiles", "exports"):
            assert answers[door].json()["error"]["code"] == "database_unavailable", door

        # The app reconnects by itself: the pool's stale connections are replaced.
        deadline = time.monotonic() + 20
        while http.get(DOORS["rest"]).status_code != 200:
            assert time.monotonic() < deadline, "the app did not recover"
            time.sleep(0.1)
        assert all(http.get(path).status_code == 200 for path in DOORS.values())


def test_a_restart_in_the_middle_of_submissions_loses_nothing(
    cluster: Cluster, server: str, respondent: str, engine: Engine
):
    waves = open_waves(engine, 12)
    jobs = jobs_for(waves, respondent)  # 168 submissions
    ledger, marks = Ledger(), {}

    async def restart_when_a_third_is_acknowledged() -> None:
        while len(ledger.acknowledged) < len(jobs) // 3:
            await asyncio.sleep(0.02)
        marks["stopped"] = time.monotonic()
        await asyncio.to_thread(cluster.stop, "fast")
        await asyncio.sleep(1)
        await asyncio.to_thread(cluster.start)
        await asyncio.to_thread(wait_until_accepting, cluster)
        engine.dispose()  # the test's own connections died with the server (see above)
        marks["ready"] = time.monotonic()

    async def main() -> None:
        behaviour = Behaviour(timeouts=0.05, patience=(0.005, 0.1))
        await asyncio.gather(
            submit_all(server, jobs, 8, behaviour, seed=1, ledger=ledger, max_seconds=120),
            restart_when_a_third_is_acknowledged(),
        )
        await retry_deferred(server, ledger)

    asyncio.run(main())

    assert ledger.statuses[500] == 0
    assert ledger.statuses[503] > 0, "the restart came too late to be seen"
    assert_all_stored_once(engine, waves, ledger, jobs)
    served_again = min(t for t in ledger.answered_at if t > marks["ready"]) - marks["ready"]
    print(f"served again {served_again:.2f} s after PostgreSQL accepted connections")
    assert served_again < 10


# --- a worker is killed ---------------------------------------------------------------------


@contextmanager
def incas_serve(db_url: str, log: Path, workers: int = 2) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run `incas serve` as `make run` does; yield its URL and process."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "INCAS_WARM_UP": "false"}
    cmd = [str(Path(sys.executable).parent / "incas"), "serve", "--port", str(port),
           "--workers", str(workers)]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, log.read_text()[-2000:]
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
        yield url, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def workers_of(proc: subprocess.Popen) -> list[int]:
    """Return the worker processes of `incas serve` (not multiprocessing's resource tracker)."""
    out = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True)
    pids = [int(p) for p in out.stdout.split()]
    return [p for p in pids if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]


async def correct_all(base: str, secret: str, waves, rounds: int, clients: int) -> Counter:
    """Correct every response `rounds` times with GET + PUT If-Match, retrying until answered."""
    targets = asyncio.Queue()
    for _, code in waves:
        for comune in SLICE:
            for _ in range(rounds):
                targets.put_nowait((code, comune))
    statuses: Counter = Counter()
    url = httpx.URL(base)
    auth = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

    async def client() -> None:
        conn = Connection(url.host, url.port)
        while not targets.empty():
            code, comune = targets.get_nowait()
            path = f"/api/v1/surveys/{code}/responses/{comune}"
            while True:  # until this correction is answered (a 412 means another got there)
                try:
                    status, headers, body = await conn.request("GET", path, auth)
                    doc = {**json.loads(body)["document"], "notes": uuid.uuid4().hex}
                    put_headers = {**auth, "If-Match": headers["etag"]}
                    status, _, _ = await conn.request(
                        "PUT", path, put_headers, json.dumps(doc).encode()
                    )
                except Exception:  # the worker died under us: ask again
                    conn.close()
                    await asyncio.sleep(0.1)
                    continue
                statuses[status] += 1
                if status in (200, 412):
                    break
        conn.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return statuses


def test_a_killed_worker_leaves_only_whole_documents_and_consistent_revisions(
    db_url: str, engine: Engine, respondent: str, tmp_path: Path
):
    waves = open_waves(engine, 10)
    jobs = jobs_for(waves, respondent)
    ledger, killed = Ledger(), []

    with incas_serve(db_url, tmp_path / "serve.log") as (url, proc):

        async def kill_a_worker(after: int, count) -> None:
            while count() < after:
                await asyncio.sleep(0.01)
            while True:  # a worker that is serving: not one killed before and not yet reaped
                alive = [p for p in await asyncio.to_thread(workers_of, proc) if p not in killed]
                if len(alive) == 2:
                    break
                await asyncio.sleep(0.05)
            os.kill(alive[0], signal.SIGKILL)
            killed.append(alive[0])

        async def main() -> Counter:
            await asyncio.gather(
                submit_all(url, jobs, 8, Behaviour(timeouts=0), seed=2, ledger=ledger),
                kill_a_worker(len(jobs) // 3, lambda: len(ledger.acknowledged)),
            )
            started = time.monotonic()
            puts = correct_all(url, respondent, waves, rounds=3, clients=8)
            corrections, _ = await asyncio.gather(
                puts, kill_a_worker(0.3, lambda: time.monotonic() - started)
            )
            return corrections

        corrections = asyncio.run(main())
        deadline = time.monotonic() + 20  # the supervisor notices a death within a second
        while not all(f"[{pid}] died" in (log := (tmp_path / "serve.log").read_text())
                      for pid in killed) and time.monotonic() < deadline:  # fmt: skip
            time.sleep(0.2)

    assert len(killed) == 2 and all(f"[{pid}] died" in log for pid in killed), log[-3000:]
    assert ledger.statuses[500] == 0 and corrections[500] == 0, corrections
    assert_all_stored_once(engine, waves, ledger, jobs)
    with Session(engine) as session:
        ids = [i for i, _ in waves]
        assert session.scalar(select(Survey.id).where(Survey.id.in_(ids)).limit(1))
    for survey_id, _ in waves:
        found = integrity(engine, survey_id)  # revisions 1..n, current one whole, rows mirror it
        assert found.whole, found.broken


# --- stopping the service ---------------------------------------------------------------------


def test_sigterm_drains_a_request_in_flight(db_url: str, engine: Engine, respondent: str, tmp_path):
    [(_, code)] = open_waves(engine, 1)
    body = json.dumps(document("071051")).encode()
    with incas_serve(db_url, tmp_path / "serve.log", workers=1) as (url, proc):
        port = httpx.URL(url).port
        with socket.create_connection(("127.0.0.1", port)) as sock:
            head = (f"POST /api/v1/surveys/{code}/responses HTTP/1.1\r\nHost: x\r\n"
                    f"Authorization: Bearer {respondent}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode()  # fmt: skip
            sock.sendall(head + body[:100])  # the request is in flight: half its body sent
            time.sleep(0.3)
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            # No new connection is accepted once shutdown began...
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
            sock.sendall(body[100:])  # ...but the one in flight is finished
            answer = sock.recv(65536).decode()
        assert answer.startswith("HTTP/1.1 201"), answer[:300]
        # uvicorn finishes its shutdown, then lets SIGTERM end the process as it would have
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)


# --- the embedded cluster keeps its port -------------------------------------------------------


def test_a_port_in_time_wait_is_still_free_for_the_embedded_cluster():
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the side that closes first keeps the port in TIME_WAIT
    server.close()
    client.close()
    plain = socket.socket()
    with pytest.raises(OSError):
        plain.bind(("127.0.0.1", port))  # what the old check did, and why it moved the cluster
    plain.close()
    assert embedded_pg.port_is_free(port)

    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    try:
        assert not embedded_pg.port_is_free(listening.getsockname()[1])
    finally:
        listening.close()
