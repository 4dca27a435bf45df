"""Backups of the census database: dump, restore, and prove a dump restores to the same data.

A backup is a pg_dump archive in custom format. The migration revision it holds travels inside
it (the `alembic_version` table) and beside it, in `PATH.json`, with when it was taken and the
row count of every table. Passwords go to pg_dump and pg_restore in their environment, never on
their command line.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from app.errors import DomainError
from app.settings import ROOT

Progress = Callable[[str, int, int], None]

TABLES = text(
    """
    select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p')
      and c.relname not in ('spatial_ref_sys')
    order by c.relname
    """
)


class BackupError(DomainError):
    code = "backup_failed"


@dataclass(frozen=True)
class Backup:
    """What a backup holds, as recorded beside it."""

    path: str
    database: str
    revision: str | None
    taken_at: str
    bytes: int
    sha256: str
    rows: dict[str, int]


@dataclass(frozen=True)
class TableCheck:
    """One table compared between the live database and a restored backup."""

    table: str
    live_rows: int | None
    restored_rows: int | None
    same_content: bool

    @property
    def ok(self) -> bool:
        return self.same_content and self.live_rows == self.restored_rows


def _tool(name: str) -> str:
    """Find pg_dump or pg_restore: on PATH, or Debian's versioned folders (newest first)."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parents[1].name),
        reverse=True,
    )
    if not versions:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return versions[0]


def _libpq_env(url: URL) -> dict[str, str]:
    env = {**os.environ}
    for key, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value:
            env[key] = str(value)
    host = url.query.get("host")  # a Unix socket folder, ?host=/path
    if host:
        env["PGHOST"] = host if isinstance(host, str) else host[0]
    return env


def _run(args: list[str], url: URL) -> None:
    out = subprocess.run(args, env=_libpq_env(url), capture_output=True, text=True)
    if out.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {out.stderr.strip()[-2000:]}")


def _engine(url: URL):
    return create_engine(url.set(drivername="postgresql+psycopg2"), isolation_level="AUTOCOMMIT")


def _revision(url: URL) -> str | None:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            exists = conn.scalar(text("select to_regclass('public.alembic_version') is not null"))
            return conn.scalar(text("select version_num from alembic_version")) if exists else None
    finally:
        engine.dispose()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _row_counts(url: URL, progress: Progress | None = None, step: str = "") -> dict[str, int]:
    return {t: rows for t, (rows, _) in _table_digests(url, progress, step, content=False).items()}


def _table_digests(
    url: URL, progress: Progress | None, step: str, content: bool = True
) -> dict[str, tuple[int, str]]:
    """Return each table's row count and an order-free digest of its rows."""
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            tables = list(conn.scalars(TABLES))
            digests = {}
            for i, table in enumerate(tables):
                name = conn.dialect.identifier_preparer.quote(table)
                # The md5 of the sorted md5s of every row as text: the same rows give the same
                # digest whatever order the restore wrote them in.
                digest = (
                    "md5(coalesce(string_agg(md5(t::text), '' order by md5(t::text)), ''))"
                    if content
                    else "''"
                )
                rows, value = conn.execute(
                    text(f"select count(*), {digest} from public.{name} t")  # noqa: S608
                ).one()
                digests[table] = (rows, value)
                if progress:
                    progress(step, i + 1, len(tables))
        return digests
    finally:
        engine.dispose()


def take_backup(database_url: str, path: Path, progress: Progress | None = None) -> Backup:
    """Dump the database to `path` (custom format) and record what it holds beside it."""
    url = make_url(database_url)
    path = path.resolve()
    if path.exists():
        raise BackupError(f"{path} exists; a backup never overwrites another")
    partial = path.with_name(path.name + ".partial")
    revision = _revision(url)
    rows = _row_counts(url, progress, "counting rows")
    # The dump holds respondents' personal data: only the owner may read it, from the start.
    partial.unlink(missing_ok=True)
    partial.touch(mode=0o600)
    if progress:
        progress("pg_dump", 0, 1)
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
          f"--file={partial}"], url)  # fmt: skip
    if progress:
        progress("pg_dump", 1, 1)
    with partial.open("rb") as f:
        os.fsync(f.fileno())
    partial.replace(path)  # a backup that exists is whole
    backup = Backup(
        path=str(path),
        database=url.database or "",
        revision=revision,
        taken_at=datetime.now(UTC).isoformat(timespec="seconds"),
        bytes=path.stat().st_size,
        sha256=_sha256(path),
        rows=rows,
    )
    manifest(path).touch(mode=0o600)
    manifest(path).write_text(json.dumps(asdict(backup), indent=2) + "\n")
    return backup


def manifest(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def read_backup(path: Path) -> Backup:
    """Return what the manifest beside a backup says, after checking the file is the same."""
    if not path.exists():
        raise BackupError(f"{path} does not exist")
    if not manifest(path).exists():
        raise BackupError(f"{manifest(path)} is missing: was this file made by `incas db backup`?")
    backup = Backup(**json.loads(manifest(path).read_text()))
    if _sha256(path) != backup.sha256:
        raise BackupError(f"{path} does not match its manifest (sha256): it is damaged")
    return backup


def _check_revision(backup: Backup) -> None:
    """Refuse a backup from a schema this code does not know."""
    script = ScriptDirectory(str(ROOT / "migrations"))
    known = {rev.revision for rev in script.walk_revisions()}
    if backup.revision is not None and backup.revision not in known:
        raise BackupError(
            f"the backup is at migration {backup.revision}, which this version of incas does "
            "not know; restore it with the version that took it"
        )


def restore_backup(database_url: str, path: Path, progress: Progress | None = None) -> Backup:
    """Replace the database's contents with the backup's, in one transaction (all or nothing)."""
    backup = read_backup(path)
    _check_revision(backup)
    url = make_url(database_url)
    if progress:
        progress("pg_restore", 0, 1)
    _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", f"--dbname={url.database}",
          str(path)], url)  # fmt: skip
    if progress:
        progress("pg_restore", 1, 1)
    return backup


def verify_backup(
    database_url: str, path: Path, progress: Progress | None = None
) -> tuple[Backup, list[TableCheck]]:
    """Restore the backup into a scratch database and compare every table with the live one.

    The scratch database is dropped afterwards, whatever happens.
    """
    backup = read_backup(path)
    _check_revision(backup)
    live = make_url(database_url)
    scratch = live.set(database=f"{live.database}_verify_{uuid.uuid4().hex[:8]}")
    admin = _engine(live)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'create database "{scratch.database}"'))
        try:
            if progress:
                progress("restore into a scratch database", 0, 1)
            _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
                  f"--dbname={scratch.database}", str(path)], scratch)  # fmt: skip
            if progress:
                progress("restore into a scratch database", 1, 1)
            restored = _table_digests(scratch, progress, "checksums of the restored tables")
            current = _table_digests(live, progress, "checksums of the live tables")
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'drop database if exists "{scratch.database}" with (force)'))
    finally:
        admin.dispose()
    checks = [
        TableCheck(
            table,
            current[table][0] if table in current else None,
            restored[table][0] if table in restored else None,
            table in current and table in restored and current[table][1] == restored[table][1],
        )
        for table in sorted(current.keys() | restored.keys())
    ]
    return backup, checks
