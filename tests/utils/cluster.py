"""A private, throwaway PostgreSQL cluster that a test may stop, restart or crash.

Tests that take the database away must not do it to the shared server, so they get their own
cluster in a temporary folder, built with scripts/embedded_pg.py's own functions (initdb, and
the unprivileged `incas-pg` user when running as root: PostgreSQL refuses root).
"""

from __future__ import annotations

import importlib.util
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.settings import ROOT


def _embedded_pg():
    spec = importlib.util.spec_from_file_location("embedded_pg", ROOT / "scripts/embedded_pg.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


embedded_pg = _embedded_pg()


@dataclass
class Cluster:
    """A running private cluster: where it lives, its port and its superuser's password."""

    home: Path
    port: int
    password: str
    runner: object
    bindir: Path

    @property
    def state(self) -> dict:
        return {"port": self.port, "socket_dir": str(self.home / "run")}

    def url(self, database: str = "postgres") -> str:
        user = embedded_pg.DB_SUPERUSER
        return f"postgresql://{user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, *args: str) -> None:
        datadir = str(self.home / "data")
        out = self.runner.run(  # type: ignore[attr-defined]
            [str(self.bindir / "pg_ctl"), *args, "-D", datadir], capture_output=True, text=True
        )
        if out.returncode != 0:
            raise RuntimeError(f"pg_ctl {' '.join(args)}: {out.stdout}{out.stderr}")

    def start(self) -> None:
        embedded_pg.start_cluster(self.runner, self.bindir, self.home, self.state)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: `fast` rolls back open transactions, `immediate` is a crash."""
        self.pg_ctl("stop", "-w", "-m", mode)

    def psql(self, sql: str, database: str = "postgres") -> str:
        return embedded_pg.psql(self.runner, self.bindir, self.state, sql, db=database)


@contextmanager
def private_cluster() -> Iterator[Cluster]:
    """Initialise and start a cluster in a temporary folder; stop and delete it afterwards."""
    runner = embedded_pg.Runner()
    bindir = embedded_pg.find_bindir()
    home = Path(tempfile.mkdtemp(prefix="incas-pg-", dir="/tmp"))
    runner.chown(home)
    password = secrets.token_urlsafe(16)
    embedded_pg.init_cluster(runner, bindir, home / "data", password)
    cluster = Cluster(home, embedded_pg.free_port(), password, runner, bindir)
    try:
        cluster.start()
        cluster.psql("create extension if not exists postgis", database="template1")
        yield cluster
    finally:
        try:
            cluster.stop("immediate")
        except RuntimeError:
            pass  # already stopped
        shutil.rmtree(home, ignore_errors=True)


def wait_until_accepting(cluster: Cluster, timeout: float = 30) -> None:
    """Wait until the server accepts connections again."""
    deadline = time.monotonic() + timeout
    while True:
        out = cluster.runner.run(  # type: ignore[attr-defined]
            [str(cluster.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(cluster.port)],
            capture_output=True,
        )
        if out.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError("the private cluster did not come back")
        time.sleep(0.1)
