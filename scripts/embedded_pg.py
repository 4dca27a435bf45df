#!/usr/bin/env python3
"""Run this checkout's own PostGIS cluster under var/ (stdlib only, so it runs before the venv).

    embedded_pg.py start    init the cluster if needed, start it, print its DATABASE_URL
    embedded_pg.py stop     stop it
    embedded_pg.py status   say whether it runs and where it lives
    embedded_pg.py url      print the DATABASE_URL of the running cluster

PostgreSQL refuses to run as root, so as root the cluster runs as the unprivileged system user
`incas-pg`. The port is chosen once and recorded in var/embedded-pg.json, so `make run`,
`make test` and other clones never collide.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var"
STATE = VAR / "embedded-pg.json"
PG_USER = "incas-pg"
DB_NAME = "incas"
DB_SUPERUSER = "incas"
# Unix socket paths are limited to 107 bytes; keep ours well under it.
MAX_SOCKET_DIR = 80


def say(msg: str) -> None:
    print(f"embedded-pg: {msg}", file=sys.stderr, flush=True)


def fail(msg: str) -> None:
    say(f"error: {msg}")
    sys.exit(1)


def find_bindir() -> Path:
    """Return the directory of the server binaries (initdb, pg_ctl, postgres)."""
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    # Debian keeps the server binaries off PATH; prefer the newest major version.
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True
    )
    candidates += [Path(p) for p in versions]
    for cand in candidates:
        if (cand / "initdb").exists() and (cand / "pg_ctl").exists():
            return cand
    fail("no initdb/pg_ctl found (install PostgreSQL: scripts/install-system-deps.sh)")
    raise AssertionError


class Runner:
    """Run commands as the OS user that owns the cluster."""

    def __init__(self) -> None:
        self.as_root = os.geteuid() == 0
        if self.as_root:
            self.ensure_user()
            pw = pwd.getpwnam(PG_USER)
        else:
            pw = pwd.getpwuid(os.geteuid())
        self.name, self.uid, self.gid = pw.pw_name, pw.pw_uid, pw.pw_gid

    @staticmethod
    def ensure_user() -> None:
        try:
            pwd.getpwnam(PG_USER)
        except KeyError:
            say(f"creating the unprivileged system user {PG_USER} to run PostgreSQL")
            subprocess.run(
                [
                    "useradd",
                    "--system",
                    "--no-create-home",
                    "--home-dir",
                    "/nonexistent",
                    "--shell",
                    "/usr/sbin/nologin",
                    PG_USER,
                ],
                check=True,
            )

    def run(self, args: list[str], **kw) -> subprocess.CompletedProcess:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "HOME": "/tmp"}
        if self.as_root:
            kw.update(user=self.uid, group=self.gid, extra_groups=[])
        return subprocess.run(args, env=env, cwd="/", **kw)

    def can_use(self, path: Path) -> bool:
        """Say whether the cluster user can enter `path` and write in it."""
        if not self.as_root:
            return os.access(path, os.W_OK | os.X_OK)
        probe = self.run(["test", "-w", str(path), "-a", "-x", str(path)])
        return probe.returncode == 0

    def chown(self, path: Path) -> None:
        if self.as_root:
            os.chown(path, self.uid, self.gid)


def load_state() -> dict:
    if STATE.exists():
        return json.loads(STATE.read_text())
    return {}


def save_state(state: dict) -> None:
    VAR.mkdir(exist_ok=True)
    tmp = STATE.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.chmod(0o600)
    tmp.replace(STATE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Say whether PostgreSQL could listen on `port` now.

    PostgreSQL binds with SO_REUSEADDR, so connections of its previous run still in TIME_WAIT
    do not keep it from its own port; the check must bind the same way, or a quick stop and
    start would move the cluster to another port under a running app.
    """
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def choose_home(runner: Runner) -> Path:
    """Pick the folder that holds data and socket: var/pg, or one the cluster user can reach."""
    VAR.mkdir(exist_ok=True)
    home = VAR / "pg"
    home.mkdir(exist_ok=True)
    runner.chown(home)
    home.chmod(0o700)
    if runner.can_use(home) and len(str(home / "run")) <= MAX_SOCKET_DIR:
        return home
    digest = hashlib.sha1(str(ROOT).encode()).hexdigest()[:12]
    base = Path("/var/lib/incas-census") if runner.as_root else Path("/tmp")
    alt = base / f"pg-{digest}"
    alt.mkdir(parents=True, exist_ok=True)
    runner.chown(alt)
    alt.chmod(0o700)
    say(
        f"{PG_USER if runner.as_root else runner.name} cannot use {home} "
        f"(a parent folder is closed to it, or the path is too long for a socket); "
        f"the cluster lives in {alt} instead"
    )
    return alt


def database_url(state: dict) -> str:
    return f"postgresql://{DB_SUPERUSER}:{state['password']}@127.0.0.1:{state['port']}/{DB_NAME}"


def is_running(runner: Runner, bindir: Path, datadir: Path) -> bool:
    if not (datadir / "PG_VERSION").exists():
        return False
    out = runner.run(
        [str(bindir / "pg_ctl"), "status", "-D", str(datadir)], capture_output=True, text=True
    )
    return out.returncode == 0


def init_cluster(runner: Runner, bindir: Path, datadir: Path, password: str) -> None:
    say(f"initialising a new cluster in {datadir}")
    datadir.mkdir(parents=True, exist_ok=True)
    runner.chown(datadir)
    datadir.chmod(0o700)
    pwfile = datadir.parent / "pwfile"
    pwfile.write_text(password + "\n")
    runner.chown(pwfile)
    pwfile.chmod(0o600)
    try:
        out = runner.run(
            [
                str(bindir / "initdb"),
                "-D",
                str(datadir),
                "-U",
                DB_SUPERUSER,
                f"--pwfile={pwfile}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            capture_output=True,
            text=True,
        )
    finally:
        pwfile.unlink(missing_ok=True)
    if out.returncode != 0:
        fail(f"initdb failed:\n{out.stdout}\n{out.stderr}")


def start_cluster(runner: Runner, bindir: Path, home: Path, state: dict) -> None:
    datadir, rundir = home / "data", home / "run"
    rundir.mkdir(exist_ok=True)
    runner.chown(rundir)
    rundir.chmod(0o700)
    logfile = home / "postgresql.log"
    # synchronous_commit stays on: a response acknowledged with 201 is on disk, even if the
    # machine loses power the next moment.
    opts = (
        f"-p {state['port']} -k {rundir} -c listen_addresses=127.0.0.1 "
        "-c shared_buffers=256MB -c max_connections=200 -c work_mem=32MB"
    )
    out = runner.run(
        [
            str(bindir / "pg_ctl"),
            "start",
            "-w",
            "-t",
            "60",
            "-D",
            str(datadir),
            "-l",
            str(logfile),
            "-o",
            opts,
        ],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        tail = logfile.read_text()[-2000:] if logfile.exists() else ""
        fail(f"pg_ctl start failed:\n{out.stdout}{out.stderr}\n{tail}")


def psql(runner: Runner, bindir: Path, state: dict, sql: str, db: str = "postgres") -> str:
    psql_bin = (
        bindir / "psql" if (bindir / "psql").exists() else Path(shutil.which("psql") or "psql")
    )
    out = runner.run(
        [
            str(psql_bin),
            "-X",
            "-q",
            "-t",
            "-A",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            state["socket_dir"],
            "-p",
            str(state["port"]),
            "-U",
            DB_SUPERUSER,
            "-d",
            db,
        ],
        input=sql,  # on stdin, not argv: a password must not show in `ps`
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        fail(f"psql failed: {out.stderr.strip()}")
    return out.stdout.strip()


def ensure_database(runner: Runner, bindir: Path, state: dict) -> None:
    exists = psql(runner, bindir, state, f"select 1 from pg_database where datname = '{DB_NAME}'")
    if exists != "1":
        say(f"creating database {DB_NAME}")
        psql(runner, bindir, state, f"create database {DB_NAME}")
    psql(runner, bindir, state, "create extension if not exists postgis", db=DB_NAME)
    # A cluster outside the clone (/var/lib/incas-census/pg-<hash>) outlives it: a new clone at
    # the same path finds it with a fresh var/ and a new password. Keep the role's in step.
    psql(runner, bindir, state, f"alter role {DB_SUPERUSER} password '{state['password']}'")


def start() -> None:
    bindir = find_bindir()
    runner = Runner()
    state = load_state()
    home = Path(state["home"]) if state.get("home") else choose_home(runner)
    datadir = home / "data"
    if not state.get("password"):
        state["password"] = secrets.token_urlsafe(24)
    state.update(home=str(home), socket_dir=str(home / "run"), bindir=str(bindir), user=runner.name)
    if not (datadir / "PG_VERSION").exists():
        init_cluster(runner, bindir, datadir, state["password"])
    if is_running(runner, bindir, datadir):
        if not state.get("port"):  # var/ was lost while the cluster ran: ask the cluster
            state["port"] = int((datadir / "postmaster.pid").read_text().splitlines()[3])
        say(f"reusing the running cluster on port {state['port']} ({datadir})")
    else:
        if not state.get("port"):
            state["port"] = free_port()
            say(f"chose free port {state['port']}")
        elif not port_is_free(state["port"]):
            old, state["port"] = state["port"], free_port()
            say(f"recorded port {old} is taken by another program; moving to {state['port']}")
        save_state(state)
        say(f"starting PostgreSQL as {runner.name} on 127.0.0.1:{state['port']} ({datadir})")
        start_cluster(runner, bindir, home, state)
    save_state(state)
    ensure_database(runner, bindir, state)
    print(database_url(state))


def stop() -> None:
    state = load_state()
    if not state:
        say("no embedded cluster recorded in var/")
        return
    runner = Runner()
    bindir = Path(state["bindir"])
    datadir = Path(state["home"]) / "data"
    if not is_running(runner, bindir, datadir):
        say("the embedded cluster is not running")
        return
    runner.run(
        [str(bindir / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(datadir)],
        check=True,
        capture_output=True,
    )
    say(f"stopped the cluster in {datadir}")


def status() -> None:
    state = load_state()
    if not state:
        print("no embedded cluster recorded in var/")
        return
    runner = Runner()
    datadir = Path(state["home"]) / "data"
    running = is_running(runner, Path(state["bindir"]), datadir)
    print(f"{'running' if running else 'stopped'}: {datadir} on 127.0.0.1:{state.get('port')}")


def url() -> None:
    state = load_state()
    if not state.get("port"):
        fail("no embedded cluster recorded in var/ (run: make run)")
    print(database_url(state))


def main() -> None:
    commands = {"start": start, "stop": stop, "status": status, "url": url}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    started = time.monotonic()
    commands[sys.argv[1]]()
    if sys.argv[1] == "start":
        say(f"ready in {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    main()
