"""Backup and restore of the registry, with a manifest saying what each archive came from.

An archive is one tar file holding ``manifest.json`` and the database:

- SQLite: ``registry.sqlite``, an online, consistent copy made with SQLite's backup API
  (``sqlite3.Connection.backup``), safe while the server writes; never a file copy, which can
  catch a half-written page or miss the WAL.
- PostgreSQL: ``registry.dump``, ``pg_dump -Fc`` taken inside the same snapshot as the row counts
  of the manifest (``pg_export_snapshot`` + ``pg_dump --snapshot``), restored with
  ``pg_restore --clean --if-exists``.

Restore refuses an archive of the other database kind or from a newer schema revision than this
code knows, and a non-empty database unless told to overwrite it. It leaves the schema at head
(older archives are migrated). The search index is rebuilt by the caller (``shetu restore``):
``registry`` does not import ``indexer``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Literal

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url

from registry.db import get_engine
from registry.migrate import alembic_config, upgrade

Kind = Literal["sqlite", "postgresql"]
Progress = Callable[[str], None]
FORMAT = 1
MANIFEST = "manifest.json"
PAYLOAD = {"sqlite": "registry.sqlite", "postgresql": "registry.dump"}
# Restore copies in steps to report progress. A backup copies in one step: a step-wise copy
# restarts whenever another connection writes between steps (it might never finish on a busy
# server), while one step reads a single WAL snapshot and does not block writers.
SQLITE_PAGES_PER_STEP = 1024


class BackupError(RuntimeError):
    """The backup or restore cannot be done (wrong archive, missing tool, refused overwrite)."""


class NotEmptyError(BackupError):
    """The target database has records and overwriting was not allowed."""


@dataclass
class Manifest:
    """What an archive holds and where it came from."""

    database: Kind
    revision: str | None
    counts: dict[str, int]
    created_at: str
    shetu_version: str
    format: int = FORMAT
    source: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Rows in all tables."""
        return sum(self.counts.values())


def database_kind(url: str) -> Kind:
    """Return ``sqlite`` or ``postgresql`` for a database URL."""
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        return "sqlite"
    if backend == "postgresql":
        return "postgresql"
    raise BackupError(f"backup supports SQLite and PostgreSQL, not {backend!r}")


def shetu_version() -> str:
    """The installed Shetu version."""
    try:
        return metadata.version("shetu")
    except metadata.PackageNotFoundError:
        return "unknown"


def known_revisions() -> set[str]:
    """Every Alembic revision this code's migrations know."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {rev.revision for rev in script.walk_revisions()}


def current_revision(url: str) -> str | None:
    """The Alembic revision of the database at ``url`` (None when never migrated)."""
    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def table_counts(url: str) -> dict[str, int]:
    """Rows per table of the database at ``url`` (Alembic's own table excluded)."""
    engine = get_engine(url)
    with engine.connect() as conn:
        return _counts(conn, inspect(conn).get_table_names())


def _counts(conn: Connection, tables: list[str]) -> dict[str, int]:
    preparer = conn.dialect.identifier_preparer
    return {t: int(conn.execute(text(f"SELECT count(*) FROM {preparer.quote(t)}")).scalar_one())
            for t in sorted(tables) if t != "alembic_version"}


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _libpq_url(url: str) -> str:
    """The URL as libpq (pg_dump, pg_restore) reads it: no SQLAlchemy driver name."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def pg_tool(name: str) -> str:
    """Path of a PostgreSQL client program (the newest under /usr/lib/postgresql first)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
                        reverse=True)
    for path in candidates:
        if os.access(path, os.X_OK):
            return str(path)
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(f"{name} not found (install the PostgreSQL client programs, "
                      "e.g. `bash scripts/services.sh up postgres` installs them)")


def _run(cmd: list[str], what: str) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise BackupError(f"{what} failed (exit {r.returncode}): {r.stderr.strip()[-2000:]}")


# -- backup -----------------------------------------------------------------------------------
def create_backup(url: str, archive: Path, progress: Progress | None = None) -> Manifest:
    """Write a consistent backup of the database at ``url`` to the tar file ``archive``."""
    say = progress or (lambda _m: None)
    kind = database_kind(url)
    archive = Path(archive)
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="shetu-backup-", dir=archive.parent) as tmp:
        payload = Path(tmp) / PAYLOAD[kind]
        if kind == "sqlite":
            revision, counts = _sqlite_backup(url, payload, say)
        else:
            revision, counts = _pg_backup(url, payload, say)
        manifest = Manifest(database=kind, revision=revision, counts=counts,
                            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                            shetu_version=shetu_version(),
                            source=make_url(url).render_as_string(hide_password=True))
        partial = Path(tmp) / "archive.tar"
        with tarfile.open(partial, "w") as tar:
            data = json.dumps(asdict(manifest), indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(dt.datetime.now(dt.UTC).timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(payload, arcname=PAYLOAD[kind])
        os.replace(partial, archive)  # a reader never sees a half-written archive
    say(f"backup written: {archive} ({archive.stat().st_size / 2**20:.1f} MiB, "
        f"{manifest.total} rows)")
    return manifest


def _sqlite_backup(url: str, payload: Path, say: Progress) -> tuple[str | None, dict[str, int]]:
    source = _sqlite_path(url)
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    src = sqlite3.connect(source)
    dst = sqlite3.connect(payload)
    say(f"copying {source} ({source.stat().st_size / 2**20:.1f} MiB)")
    try:
        src.backup(dst, pages=-1)
        # The copy is a plain rollback-journal file: it needs no -wal beside it.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        src.close()
        dst.close()
    copy_url = f"sqlite:///{payload}"
    try:
        return current_revision(copy_url), table_counts(copy_url)
    finally:
        get_engine(copy_url).dispose()


def _pg_backup(url: str, payload: Path, say: Progress) -> tuple[str | None, dict[str, int]]:
    pg_dump = pg_tool("pg_dump")
    engine = get_engine(url)
    # One REPEATABLE READ snapshot for the counts and the dump: the manifest describes exactly
    # what the dump holds, even while the server keeps writing.
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, \
            conn.begin():
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        revision = MigrationContext.configure(conn).get_current_revision()
        counts = _counts(conn, inspect(conn).get_table_names())
        say(f"dumping {sum(counts.values())} rows in {len(counts)} tables")
        _run([pg_dump, "--format=custom", "--no-owner", "--no-privileges",
              f"--snapshot={snapshot}", f"--file={payload}", f"--dbname={_libpq_url(url)}"],
             "pg_dump")
    return revision, counts


# -- restore ----------------------------------------------------------------------------------
def read_manifest(archive: Path) -> Manifest:
    """Return the manifest of a backup archive (BackupError when it is not one)."""
    try:
        with tarfile.open(archive, "r") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            raw = json.loads(member.read())
    except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
        raise BackupError(f"{archive} is not a Shetu backup archive: {exc}") from exc
    if raw.get("format") != FORMAT:
        raise BackupError(f"{archive} has archive format {raw.get('format')!r}; this Shetu "
                          f"reads format {FORMAT}")
    return Manifest(**raw)


def check_restorable(manifest: Manifest, url: str) -> None:
    """Raise BackupError unless the archive fits this database and this code's schema."""
    kind = database_kind(url)
    if manifest.database != kind:
        raise BackupError(f"the archive is a {manifest.database} backup; the configured "
                          f"database is {kind}")
    if manifest.revision is not None and manifest.revision not in known_revisions():
        raise BackupError(f"the archive is from schema revision {manifest.revision!r}, newer "
                          f"than this Shetu {shetu_version()} knows: upgrade Shetu first")


def is_empty(url: str) -> bool:
    """Whether the database at ``url`` has no rows in any table (or no tables)."""
    return not any(table_counts(url).values())


@contextmanager
def _extracted(archive: Path, name: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="shetu-restore-") as tmp, \
            tarfile.open(archive, "r") as tar:
        tar.extract(name, tmp, filter="data")
        yield Path(tmp) / name


def restore_backup(url: str, archive: Path, *, overwrite: bool = False,
                   progress: Progress | None = None) -> Manifest:
    """Replace the database at ``url`` with the archive's, then migrate it to head."""
    say = progress or (lambda _m: None)
    manifest = read_manifest(archive)
    check_restorable(manifest, url)
    kind = manifest.database
    if kind == "sqlite":
        _sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
    if not overwrite and not is_empty(url):
        counts = {k: v for k, v in table_counts(url).items() if v}
        raise NotEmptyError("the database is not empty (" + ", ".join(
            f"{v} {k}" for k, v in counts.items()) + "): pass --yes to replace it")
    say(f"restoring {manifest.total} rows from a {kind} backup of {manifest.created_at} "
        f"(revision {manifest.revision}, shetu {manifest.shetu_version})")
    with _extracted(archive, PAYLOAD[kind]) as payload:
        if kind == "sqlite":
            _sqlite_restore(url, payload, say)
        else:
            _pg_restore(url, payload, manifest, say)
    upgrade(url)
    restored = table_counts(url)
    wrong = {t: (n, restored.get(t)) for t, n in manifest.counts.items() if restored.get(t) != n}
    if wrong:
        raise BackupError("restored counts differ from the manifest (table: expected, found): "
                          + ", ".join(f"{t}: {a}, {b}" for t, (a, b) in wrong.items()))
    for table, n in manifest.counts.items():
        say(f"  {table}: {n}")
    return manifest


def _sqlite_restore(url: str, payload: Path, say: Progress) -> None:
    target = _sqlite_path(url)
    get_engine(url).dispose()  # pooled connections must not keep pages of the old database
    src = sqlite3.connect(payload)
    dst = sqlite3.connect(target, timeout=30)
    try:
        def step(_status: int, remaining: int, total: int) -> None:
            say(f"restored {total - remaining}/{total} pages")

        # The backup API replaces the whole target database, under its lock, in steps.
        src.backup(dst, pages=SQLITE_PAGES_PER_STEP, progress=step)
        dst.execute("PRAGMA journal_mode=WAL")
    finally:
        src.close()
        dst.close()
    get_engine(url).dispose()


def _pg_restore(url: str, payload: Path, manifest: Manifest, say: Progress) -> None:
    engine = get_engine(url)
    with engine.begin() as conn:
        # Tables the archive does not hold (added by a later migration) would survive
        # --clean and then make the upgrade that re-creates them fail.
        preparer = conn.dialect.identifier_preparer
        for table in inspect(conn).get_table_names():
            if table not in manifest.counts and table != "alembic_version":
                conn.execute(text(f"DROP TABLE IF EXISTS {preparer.quote(table)} CASCADE"))
    engine.dispose()
    say("pg_restore --clean --if-exists")
    _run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", f"--dbname={_libpq_url(url)}",
          str(payload)], "pg_restore")
    engine.dispose()
