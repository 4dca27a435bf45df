"""Survey clients under load: submit, time out, retry, re-send; and the ledger of what was acked.

The rule every client follows (as the real forms do): **a submission is retried, with the same
body and submission_id, until the server answers it** (201 created, or 200 for a retry of a
stored one). A request the client gave up on may or may not have been stored; its retry settles
which (200: it was, 201: it was not), so nothing is stored that no client was told about. Clients
that time out on purpose put that submission at the back of the run (`deferred`), so the check
can see such orphans exist before their retries come.

The HTTP client is a few lines over asyncio streams with keep-alive, so that the load generator,
which shares the machine's cores with the server, costs little per request.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

OK = (200, 201)


class Connection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(
        self, method: str, target: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        """Send one request and read its whole answer."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            self.close()
            raise ConnectionResetError("the server closed the connection")
        status = int(status_line.split()[1])
        answer: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            answer[name.strip().lower()] = value.strip()
        if answer.get("transfer-encoding") == "chunked":
            data = bytearray()
            while size := int((await self.reader.readline()).strip(), 16):
                data += await self.reader.readexactly(size + 2)
                del data[-2:]
            await self.reader.readline()
        else:
            data = bytearray(await self.reader.readexactly(int(answer.get("content-length", 0))))
        if answer.get("connection") == "close":
            self.close()
        return status, answer, bytes(data)


@dataclass(frozen=True)
class Job:
    """One comune's submission: its id, the body sent every time, its token and where it goes."""

    submission_id: str
    body: bytes
    token: str
    path: str  # /api/v1/surveys/{code}/responses


@dataclass(frozen=True)
class Behaviour:
    """How unreliable the clients are, as shares of the submissions."""

    timeouts: float = 0.03  # give up on the first attempt, after `patience` seconds
    patience: tuple[float, float] = (0.005, 0.3)
    deferred: float = 0.5  # of those, retry only at the end of the run
    duplicates: float = 0.10  # re-send after the answer came (expect 200, same ETag)
    twins: float = 0.02  # send on two connections at once (one 201, one 200)
    request_timeout: float = 60.0


@dataclass
class Ledger:
    """What the clients were told."""

    acknowledged: dict[str, str] = field(default_factory=dict)  # submission_id -> ETag
    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # answered requests, seconds
    timeouts: int = 0  # requests abandoned on purpose
    connection_errors: Counter = field(default_factory=Counter)  # kind -> count
    deferred: list[Job] = field(default_factory=list)  # gave up, retried at the end
    mismatched_etags: int = 0  # a re-send answered with another ETag than the first answer
    unexpected: list[str] = field(default_factory=list)
    first_2xx_after: dict[str, float] = field(default_factory=dict)
    answered_at: list[float] = field(default_factory=list)  # monotonic time of every 2xx

    def acknowledge(self, job: Job, status: int, body: bytes) -> None:
        etag = json.loads(body)["etag"]
        known = self.acknowledged.setdefault(job.submission_id, etag)
        if known != etag:
            self.mismatched_etags += 1


async def _send(
    conn: Connection,
    job: Job,
    ledger: Ledger,
    timeout: float,
    deadline: float,
) -> int | None:
    """Send a job until it is answered (or the run's deadline passes); return the status."""
    headers = {"Authorization": f"Bearer {job.token}", "Content-Type": "application/json"}
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            status, answer, body = await asyncio.wait_for(
                conn.request("POST", job.path, headers, job.body), timeout
            )
        except TimeoutError:
            conn.close()  # the answer may still come: this connection is spoilt
            ledger.timeouts += 1
            return None
        except Exception as exc:  # a reset, a refused connection, a cut answer: try again
            conn.close()
            ledger.connection_errors[type(exc).__name__] += 1
            await asyncio.sleep(0.2)
            continue
        ledger.statuses[status] += 1
        if status in OK:
            ledger.latencies.append(time.perf_counter() - started)
            ledger.answered_at.append(time.monotonic())
            ledger.acknowledge(job, status, body)
            return status
        if status == 503:  # the database is away: come back when the server says
            await asyncio.sleep(float(answer.get("retry-after", "1")))
            continue
        ledger.unexpected.append(f"{status} {body[:200]!r}")
        return status
    ledger.unexpected.append(f"no answer for {job.submission_id} before the deadline")
    return None


async def _answered(conn: Connection, job: Job, ledger: Ledger, timeout: float, deadline: float):
    """Send a job until it is answered: the clients' rule, also after a timeout of ours."""
    while time.monotonic() < deadline:
        if await _send(conn, job, ledger, timeout, deadline) is not None:
            return
    ledger.unexpected.append(f"no answer for {job.submission_id} before the deadline")


async def _client(
    base: str,
    queue: asyncio.Queue[Job],
    ledger: Ledger,
    behaviour: Behaviour,
    rnd: random.Random,
    deadline: float,
) -> None:
    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    conn, twin = Connection(host, port), Connection(host, port)
    try:
        while not queue.empty():
            job = queue.get_nowait()
            if rnd.random() < behaviour.twins:
                await asyncio.gather(
                    _answered(conn, job, ledger, behaviour.request_timeout, deadline),
                    _answered(twin, job, ledger, behaviour.request_timeout, deadline),
                )
                continue
            if rnd.random() < behaviour.timeouts:
                patience = rnd.uniform(*behaviour.patience)
                answered = await _send(conn, job, ledger, patience, deadline)
                if answered is not None:
                    continue  # it was quicker than the client's patience
                if rnd.random() < behaviour.deferred:
                    ledger.deferred.append(job)
                    continue
            await _answered(conn, job, ledger, behaviour.request_timeout, deadline)
            if rnd.random() < behaviour.duplicates:
                await _answered(conn, job, ledger, behaviour.request_timeout, deadline)
    finally:
        conn.close()
        twin.close()


async def submit_all(
    base: str,
    jobs: Sequence[Job],
    clients: int,
    behaviour: Behaviour = Behaviour(),
    seed: int = 0,
    max_seconds: float = 600,
    ledger: Ledger | None = None,
) -> Ledger:
    """Send every job with `clients` concurrent clients; the deferred ones stay in the ledger."""
    queue: asyncio.Queue[Job] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    ledger = ledger if ledger is not None else Ledger()
    deadline = time.monotonic() + max_seconds
    await asyncio.gather(
        *(
            _client(base, queue, ledger, behaviour, random.Random(seed * 1000 + i), deadline)
            for i in range(clients)
        )
    )
    return ledger


async def retry_deferred(base: str, ledger: Ledger, max_seconds: float = 120) -> Counter:
    """Retry every submission a client gave up on; return how each was answered."""
    url = urlsplit(base)
    conn = Connection(url.hostname or "127.0.0.1", url.port or 80)
    deadline = time.monotonic() + max_seconds
    answers: Counter = Counter()
    try:
        for job in ledger.deferred:
            answers[await _send(conn, job, ledger, 60.0, deadline)] += 1
    finally:
        conn.close()
    return answers


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0-100) by the nearest-rank method."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]
