"""Benchmark: survey clients submitting a national wave over HTTP, with retries and timeouts.

Issue 12 asks that, with at least 50 concurrent clients sending about 4,000 distinct responses
to the app as `make run` serves it (`incas serve`, several workers), every acknowledged
submission_id is stored exactly once and nothing is stored that no client was told about; and
for throughput (>= 300 responses/s on 2 cores) and latency (p99 <= 500 ms with 50 clients,
<= 100 ms with 10). One run:

1. creates a throwaway database with the 2021 comuni (on the configured server, or, with
   `--restart-db`, on a private cluster of its own that it may restart);
2. for each client count, opens a fresh wave, issues one respondent token per comune (as
   `incas tokens issue-respondents` does) and prepares the synthetic national documents the
   tests use (tests/utils/synthetic.py, 4,000 comuni, fresh submission ids);
3. starts `incas serve --workers N` (default: the number of cores, as `make run`);
4. sends every document with the clients of tests/utils/load.py: 3% of first attempts time out
   on purpose after 5-300 ms (half retried at once, half only at the end of the run), 10% are
   re-sent after their answer (200, same ETag), 2% go out on two connections at once; a 503
   is retried after its Retry-After. The rule: a client retries until it is answered;
5. checks the database against what the clients were told: stored = acknowledged (before the
   deferred retries, the stored ones no client heard of must all be deferred ones), no
   duplicate, every response complete (revisions, settlements, ETag);
6. with `--restart-db`, stops PostgreSQL (fast shutdown) when 40% are acknowledged, keeps it
   down `--down` seconds, starts it again, and reports the seconds until the app served again.

    .venv/bin/python bench/load_submit.py [--clients 50 10] [--runs 3] [--workers N]
                                          [--documents 4000] [--restart-db] [--down 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' generators

from common import (  # noqa: E402
    ROOT,
    console,
    free_port,
    running_server,
    throwaway_database,
    write_results,
)
from rich.table import Table  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.census.tokens import issue_respondents  # noqa: E402
from app.db import make_engine  # noqa: E402
from tests.utils import databases  # noqa: E402
from tests.utils.cluster import private_cluster, wait_until_accepting  # noqa: E402
from tests.utils.documents import open_survey  # noqa: E402
from tests.utils.integrity import integrity  # noqa: E402
from tests.utils.load import (  # noqa: E402
    Behaviour,
    Job,
    Ledger,
    percentile,
    retry_deferred,
    submit_all,
)
from tests.utils.synthetic import national_documents  # noqa: E402


def prepare_wave(engine, code: str, documents: int) -> tuple[int, list[Job]]:
    """Open a wave, issue its respondent tokens and build one job per document."""
    with Session(engine) as session, session.begin():
        survey = open_survey(session, code=code)
        tokens = {c.comune_code: c.token for c in issue_respondents(session, survey)}
        docs = national_documents(session, responded=documents, seed=7)
        survey_id = survey.id
    jobs = []
    for doc in docs:
        doc["submission_id"] = str(uuid.uuid4())
        body, token = json.dumps(doc).encode(), tokens[doc["comune_code"]]
        jobs.append(Job(doc["submission_id"], body, token, f"/api/v1/surveys/{code}/responses"))
    return survey_id, jobs


@contextmanager
def database(restart: bool):
    """Yield (server URL, cluster or None): a throwaway database, on a private cluster if asked."""
    if not restart:
        with throwaway_database(vintages=(2021,)) as url:
            yield url, None
        return
    with private_cluster() as cluster:
        url = cluster.url("incas_bench")
        cluster.psql("create database incas_bench")
        databases.migrate(url)
        databases.load_vintages(url, (2021,))
        yield url, cluster


async def restart_when(ledger: Ledger, cluster, share: int, down: float, report: dict) -> None:
    """Stop PostgreSQL once `share` submissions are acknowledged; start it `down` s later."""
    while len(ledger.acknowledged) < share:
        await asyncio.sleep(0.05)
    report["stopped_at"] = time.monotonic()
    await asyncio.to_thread(cluster.stop, "fast")
    await asyncio.sleep(down)
    await asyncio.to_thread(cluster.start)
    await asyncio.to_thread(wait_until_accepting, cluster)
    report["ready_at"] = time.monotonic()


def run_load(base: str, jobs: list[Job], clients: int, cluster, down: float) -> dict:
    """Send the jobs; return the ledger and timings (and the restart's, if any)."""
    restart: dict = {}

    async def main():
        ledger = Ledger()
        started = time.monotonic()
        tasks = [submit_all(base, jobs, clients, Behaviour(), seed=clients, ledger=ledger)]
        if cluster is not None:
            tasks.append(restart_when(ledger, cluster, int(len(jobs) * 0.4), down, restart))
        await asyncio.gather(*tasks)
        return ledger, time.monotonic() - started, started

    ledger, elapsed, started = run(main())
    return {"ledger": ledger, "elapsed": elapsed, "started": started, "restart": restart}


def run(coro):
    try:
        import uvloop

        return uvloop.run(coro)
    except ImportError:
        return asyncio.run(coro)


def one_round(engine, base: str, clients: int, n: int, documents: int, cluster, down: float):
    code = f"load-{clients}c-{n}-{uuid.uuid4().hex[:6]}"
    survey_id, jobs = prepare_wave(engine, code, documents)
    console.print(f"[bold]{clients} clients[/], wave {code}: {len(jobs)} documents")
    out = run_load(base, jobs, clients, cluster, down)
    ledger = out["ledger"]
    before = integrity(engine, survey_id)
    orphans = set(before.stored) - set(ledger.acknowledged)
    deferred_ids = {j.submission_id for j in ledger.deferred}
    retried = run(retry_deferred(base, ledger))
    after = integrity(engine, survey_id)
    acked, stored = set(ledger.acknowledged), set(after.stored)
    lat = ledger.latencies
    result = {
        "clients": clients,
        "round": n,
        "documents": len(jobs),
        "seconds": out["elapsed"],
        "responses_per_s": len(before.stored) / out["elapsed"],
        "requests_per_s": len(lat) / out["elapsed"],
        "p50_ms": percentile(lat, 50) * 1000,
        "p95_ms": percentile(lat, 95) * 1000,
        "p99_ms": percentile(lat, 99) * 1000,
        "max_ms": max(lat) * 1000,
        "statuses": dict(sorted(ledger.statuses.items())),
        "timeouts": ledger.timeouts,
        "connection_errors": dict(ledger.connection_errors),
        "deferred": len(deferred_ids),
        "stored_unacknowledged_before_retries": len(orphans),
        "orphans_all_deferred": orphans <= deferred_ids,
        "deferred_answers": {str(k): v for k, v in retried.items()},
        "acknowledged": len(acked),
        "stored": len(stored),
        "acknowledged_not_stored": len(acked - stored),
        "stored_not_acknowledged": len(stored - acked),
        "duplicates": after.duplicates,
        "mismatched_etags": ledger.mismatched_etags,
        "broken": after.broken,
        "unexpected": ledger.unexpected[:5],
    }
    if out["restart"]:
        r = out["restart"]
        served = [t for t in ledger.answered_at if t > r["ready_at"]]
        result["restart"] = {
            "down_s": r["ready_at"] - r["stopped_at"],
            "served_again_after_ready_s": (min(served) - r["ready_at"]) if served else None,
            "served_again_after_stop_s": (min(served) - r["stopped_at"]) if served else None,
            "status_500": ledger.statuses.get(500, 0),
            "status_503": ledger.statuses.get(503, 0),
        }
    ok = (
        not result["acknowledged_not_stored"]
        and not result["stored_not_acknowledged"]
        and not result["duplicates"]
        and result["orphans_all_deferred"]
        and not ledger.mismatched_etags
        and after.whole
        and len(acked) == len(jobs)
        and not ledger.unexpected
    )
    result["ok"] = ok
    verdict = "[green]ok[/]" if ok else "[red]FAILED[/]"
    console.print(
        f"  {verdict} {result['responses_per_s']:.0f} responses/s, "
        f"{result['requests_per_s']:.0f} requests/s; p50 {result['p50_ms']:.0f} ms, "
        f"p95 {result['p95_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms; "
        f"acked {len(acked)} = stored {len(stored)}, duplicates {after.duplicates}, "
        f"timeouts {ledger.timeouts} (deferred {len(deferred_ids)}: "
        f"{len(orphans)} stored before their retry), statuses {result['statuses']}"
    )
    if "restart" in result:
        console.print(f"  restart: {result['restart']}")
    if not ok:
        console.print(f"  [red]{result['broken']} {result['unexpected']}[/]")
    return result


def print_summary(results: list[dict]) -> None:
    table = Table(title="Submissions over HTTP (median of rounds)", title_justify="left")
    cols = ("clients", "rounds", "responses/s", "p50 ms", "p95 ms", "p99 ms", "acked=stored",
            "duplicates", "all ok")  # fmt: skip
    for col in cols:
        table.add_column(col, justify="right")
    for clients in sorted({r["clients"] for r in results}, reverse=True):
        rs = [r for r in results if r["clients"] == clients]

        def med(key, rs=rs):
            return statistics.median(r[key] for r in rs)

        table.add_row(
            str(clients),
            str(len(rs)),
            f"{med('responses_per_s'):.0f}",
            f"{med('p50_ms'):.0f}",
            f"{med('p95_ms'):.0f}",
            f"{med('p99_ms'):.0f}",
            str(all(r["acknowledged"] == r["stored"] for r in rs)),
            str(sum(r["duplicates"] for r in rs)),
            str(all(r["ok"] for r in rs)),
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[50, 10])
    parser.add_argument("--runs", type=int, default=3, help="rounds per client count")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--documents", type=int, default=4000)
    parser.add_argument("--restart-db", action="store_true", help="restart PostgreSQL mid-load")
    parser.add_argument("--down", type=float, default=3.0, help="seconds PostgreSQL stays down")
    args = parser.parse_args()

    results = []
    with ExitStack() as stack:
        url, cluster = stack.enter_context(database(args.restart_db))
        engine = make_engine(url)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url}
        cmd = [str(ROOT / ".venv/bin/incas"), "serve", "--host", "127.0.0.1", "--port",
               str(port), "--workers", str(args.workers)]  # fmt: skip
        log = Path("/tmp") / f"incas-load-{port}.log"
        server = stack.enter_context(running_server("incas", cmd, port=port, env=env, log=log))
        console.print(f"incas serve --workers {args.workers} on {server.base_url} (log {log})")
        for n in range(args.runs):
            for clients in args.clients:
                results.append(
                    one_round(
                        engine, server.base_url, clients, n, args.documents, cluster, args.down
                    )
                )
        engine.dispose()
    print_summary(results)
    path = write_results(
        "load_submit", {"workers": args.workers, "restart_db": args.restart_db, "rounds": results}
    )
    console.print(f"results: {path}")
    if not all(r["ok"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
