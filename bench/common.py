"""Helpers shared by the benchmarks: throwaway databases, servers, interleaved timing, reports.

The benchmarks run from the project's venv (`.venv/bin/python bench/NAME.py`) and import this
module as `common`. Nothing here depends on a web framework: timed work is either a callable or
an external command, so the same loop times an HTTP request, a CGI process or an in-process
function call.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.request import urlopen

from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import URL, make_url

from app.settings import ROOT, DatabaseSettings

# The throwaway databases are the test suite's; the benchmarks run from bench/ or the root.
sys.path.insert(0, str(ROOT))
from tests.utils import databases  # noqa: E402

BENCH = ROOT / "bench"
RESULTS = BENCH / "results"

# Wide enough for the tables when the output goes to a file or a pipe.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)


# --- databases -------------------------------------------------------------------------------


def server_url() -> str:
    """Return the configured server's URL: DATABASE_URL, or the embedded cluster."""
    return DatabaseSettings().database_url


PREFIX = "incas_bench"


def load_vintages(url: str, vintages: Sequence[int] = (2023,)) -> None:
    """Load the shipped comuni of the given vintages, with the 2011 population."""
    databases.load_vintages(url, vintages)


@contextlib.contextmanager
def throwaway_database(vintages: Sequence[int] = (2023,), keep: bool = False) -> Iterator[str]:
    """Yield the URL of a new migrated database holding the comuni; drop it afterwards."""
    url = databases.create_database(PREFIX)
    try:
        databases.migrate(url)
        load_vintages(url, vintages)
        yield url
    finally:
        if keep:
            console.print(f"[yellow]kept the bench database {make_url(url).database}[/]")
        else:
            databases.drop_database(url, PREFIX)


def sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg2://", 1)


def libpq_params(url: str) -> dict[str, str]:
    """Split a postgresql:// URL into libpq keywords (host, port, dbname, user, password)."""
    u: URL = make_url(url)
    params = {
        "host": u.host or "",
        "port": str(u.port or 5432),
        "dbname": u.database or "",
        "user": u.username or "",
        "password": u.password or "",
    }
    for key, value in u.query.items():  # e.g. ?host=/socket/dir
        params[key] = value if isinstance(value, str) else value[0]
    return {k: v for k, v in params.items() if v}


def libpq_conninfo(url: str) -> str:
    """Return a libpq key=value connection string for `url`."""

    def quote(v: str) -> str:
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"

    return " ".join(f"{k}={quote(v)}" for k, v in libpq_params(url).items())


# --- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(url: str, timeout: float = 5.0) -> int | None:
    """Return the HTTP status of a GET, or None when nothing answers."""
    try:
        with urlopen(url, timeout=timeout) as resp:  # noqa: S310 - loopback only
            return resp.status
    except URLError as exc:
        code = getattr(exc, "code", None)
        return code if isinstance(code, int) else None
    except (ConnectionError, TimeoutError, OSError):
        return None


@dataclass
class Server:
    """A server subprocess the benchmark started, in its own process group."""

    name: str
    base_url: str
    process: subprocess.Popen
    log: Path

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


@contextlib.contextmanager
def running_server(
    name: str,
    cmd: Sequence[str],
    *,
    port: int,
    env: dict[str, str],
    ready_path: str = "/health",
    cwd: Path | None = None,
    log: Path,
    timeout: float = 60.0,
) -> Iterator[Server]:
    """Start `cmd` (which listens on `port`), wait until `ready_path` answers 200, stop it after."""
    base = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        # Own process group: stopping it also stops uvicorn's children, and Ctrl-C in the
        # terminal reaches only the benchmark, which then stops the server itself.
        proc = subprocess.Popen(
            list(cmd),
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = Server(name, base, proc, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{server.tail()}")
            if http_status(base + ready_path, timeout=2) == 200:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not answer {ready_path} in {timeout:.0f}s")
            time.sleep(0.2)
        yield server
    finally:
        server.stop()


# --- timing ----------------------------------------------------------------------------------


@dataclass
class Sample:
    """One timed run: wall seconds, response bytes, and whether it did what was asked."""

    seconds: float
    bytes: int = 0
    ok: bool = True
    note: str = ""


def time_command(
    cmd: Sequence[str], *, out: Path, env: dict[str, str] | None = None, ok_rc: int = 0
) -> Sample:
    """Run a command with stdout to `out`; time the whole process (fork, exec, work, output)."""
    with open(out, "wb") as sink:
        t0 = time.perf_counter()
        proc = subprocess.run(
            list(cmd), stdout=sink, stderr=subprocess.PIPE, env=env, stdin=subprocess.DEVNULL
        )
        seconds = time.perf_counter() - t0
    ok = proc.returncode == ok_rc
    note = "" if ok else f"exit {proc.returncode}: {proc.stderr.decode(errors='replace')[-300:]}"
    return Sample(seconds, out.stat().st_size, ok, note)


def time_http_get(url: str, *, out: Path, timeout: float = 300.0) -> Sample:
    """GET `url` with curl, body to `out`; the time is curl's own total (request to last byte).

    curl is a neutral C client, so neither server is helped or hurt by Python's HTTP stack,
    and its process start-up is not counted. No Accept-Encoding is sent: bodies are identity.
    """
    proc = subprocess.run(
        [
            "curl",
            "--silent",
            "--show-error",
            "--max-time",
            str(timeout),
            "--output",
            str(out),
            "--write-out",
            "%{http_code} %{size_download} %{time_total}",
            url,
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0:
        return Sample(float("nan"), 0, False, f"curl: {proc.stderr.strip()}")
    status, size, total = proc.stdout.split()
    ok = status == "200"
    return Sample(float(total), int(size), ok, "" if ok else f"HTTP {status}")


def time_call(fn: Callable[[], Any]) -> Sample:
    """Time one in-process call; `bytes` is the length of what it returns, when it has one."""
    t0 = time.perf_counter()
    try:
        result = fn()
    except Exception as exc:  # a failed run is recorded, not fatal to the benchmark
        return Sample(time.perf_counter() - t0, 0, False, f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - t0
    size = len(result) if hasattr(result, "__len__") else 0
    return Sample(seconds, size)


@dataclass
class Contender:
    """Something to time: `run(out_path)` does the work once and returns a Sample."""

    name: str
    run: Callable[[Path], Sample]
    label: str = ""


def call_contender(name: str, fn: Callable[[], Any], label: str = "") -> Contender:
    """Wrap an in-process callable (a roll-up, a Gi* run, a selection) as a Contender."""
    return Contender(name, lambda _out: time_call(fn), label)


def command_contender(
    name: str, cmd: Sequence[str], label: str = "", env: dict[str, str] | None = None
) -> Contender:
    """Wrap an external command (a CLI, psql, a CGI) as a Contender; its stdout is the output."""
    return Contender(name, lambda out: time_command(cmd, out=out, env=env), label)


def http_contender(name: str, url: str, label: str = "") -> Contender:
    """Wrap an HTTP GET (timed by curl) as a Contender; the body is the output."""
    return Contender(name, lambda out: time_http_get(url, out=out), label)


@dataclass
class Series:
    name: str
    label: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def good(self) -> list[Sample]:
        return [s for s in self.samples if s.ok]

    def summary(self) -> dict[str, Any]:
        times = [s.seconds for s in self.good]
        sizes = [s.bytes for s in self.good]
        return {
            "name": self.name,
            "label": self.label,
            "runs": len(self.samples),
            "ok_runs": len(times),
            "median_s": statistics.median(times) if times else None,
            "min_s": min(times) if times else None,
            "max_s": max(times) if times else None,
            "bytes": statistics.median(sizes) if sizes else None,
            "times_s": [s.seconds for s in self.samples],
            "errors": sorted({s.note for s in self.samples if not s.ok}),
        }


def interleave(
    contenders: Sequence[Contender],
    runs: int,
    *,
    workdir: Path,
    before_round: Callable[[int], None] | None = None,
    after_run: Callable[[int, Contender, Path, Sample], None] | None = None,
) -> dict[str, Series]:
    """Time every contender `runs` times, round by round, so that noise hits all of them.

    Within a round the order rotates (A B C, B C A, C A B, ...): no contender always runs
    right after the same neighbour or always first on a cold machine.
    """
    series = {c.name: Series(c.name, c.label or c.name) for c in contenders}
    n = len(contenders)
    for r in range(runs):
        if before_round:
            before_round(r)
        order = [contenders[(r + i) % n] for i in range(n)] if n else []
        for c in order:
            out = workdir / f"{c.name}.out"
            sample = c.run(out)
            series[c.name].samples.append(sample)
            if after_run:
                after_run(r, c, out, sample)
        line = "  ".join(
            f"{c.name} {series[c.name].samples[-1].seconds:6.3f}s"
            + ("" if series[c.name].samples[-1].ok else "!")
            for c in contenders
        )
        console.print(f"  round {r + 1}/{runs}: {line}")
    return series


def ratio(ours: dict[str, Any] | None, peer: dict[str, Any] | None) -> float | None:
    """Return ours' median over the peer's, or None when either is missing."""
    if not ours or not peer or not ours.get("median_s") or not peer.get("median_s"):
        return None
    return ours["median_s"] / peer["median_s"]


# --- reports ---------------------------------------------------------------------------------


def fmt_s(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def fmt_bytes(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1e6:.1f} MB" if value >= 1e5 else f"{int(value)} B"


def print_timings(title: str, summaries: Sequence[dict[str, Any]]) -> None:
    """Print median, min, max and bytes of each series."""
    table = Table(title=title, title_justify="left")
    for col in ("what", "median s", "min s", "max s", "bytes", "runs ok"):
        table.add_column(col, justify="left" if col == "what" else "right")
    for s in summaries:
        table.add_row(
            s["label"],
            fmt_s(s["median_s"]),
            fmt_s(s["min_s"]),
            fmt_s(s["max_s"]),
            fmt_bytes(s["bytes"]),
            f"{s['ok_runs']}/{s['runs']}",
        )
    console.print(table)


@dataclass
class Ratio:
    """ours/peer with a target: met when value < target (strict) or <= target."""

    label: str
    value: float | None
    target: float
    strict: bool
    why_missing: str = ""

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value < self.target if self.strict else self.value <= self.target


def print_ratios(title: str, ratios: Sequence[Ratio]) -> None:
    """Print each ratio against its target."""
    table = Table(title=title, title_justify="left")
    for col in ("figure", "value", "target", "verdict"):
        table.add_column(col, justify="left" if col in ("figure", "verdict") else "right")
    for r in ratios:
        op = "<" if r.strict else "≤"
        if r.met is None:
            verdict = f"[yellow]n/a[/] {r.why_missing}"
        else:
            verdict = "[green]met[/]" if r.met else "[red]missed[/]"
        value = "—" if r.value is None else f"{r.value:.2f}"
        table.add_row(r.label, value, f"{op} {r.target}", verdict)
    console.print(table)


def machine_note() -> dict[str, Any]:
    """Describe where the figures were measured."""
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "host": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "loadavg_at_start": load,
    }


def write_results(name: str, payload: dict[str, Any]) -> Path:
    """Write `payload` as bench/results/<name>-<timestamp>.json and return the path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{name}-{stamp}.json"
    payload = {"benchmark": name, "at": stamp, "machine": machine_note(), **payload}
    path.write_text(json.dumps(payload, indent=2, default=_jsonable) + "\n")
    return path


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "__dataclass_fields__"):
        return asdict(obj)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, set):
        return sorted(obj)
    raise TypeError(type(obj).__name__)
