"""``shetu backup`` / ``shetu restore`` as an operator runs them, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest
from live_services import needs_postgres, throwaway_database
from sqlalchemy import text
from support import DATA_DIR, make_settings

from indexer.documents import JOBS, WORKERS
from indexer.service import Indexer
from registry.backup import (
    MANIFEST,
    BackupError,
    create_backup,
    current_revision,
    known_revisions,
    read_manifest,
    table_counts,
)
from registry.config import REPO_ROOT
from registry.db import get_engine, session_scope

SEED = ("seed", "--seed", "5", "--workers", "60", "--job-orders", "15", "--agencies", "4")


def shetu(var_dir: Path, *args: str, check: bool = True, database_url: str = ""):  # type: ignore[no-untyped-def]
    env = {**os.environ, "SHETU_VAR_DIR": str(var_dir), "SHETU_DATA_DIR": str(DATA_DIR),
           "SHETU_MODEL": "hashing", "SHETU_ENV": "test"}
    if database_url:
        env["SHETU_DATABASE_URL"] = database_url
    r = subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=REPO_ROOT, env=env,
                       capture_output=True, text=True, timeout=600)
    if check:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def _change_records(url: str) -> tuple[int, int, str, str]:
    """Rename a worker and delete a job order (with its applications); return what changed."""
    with session_scope(url) as s:
        worker_id, name = s.execute(text("select id, full_name from workers order by id "
                                         "limit 1")).one()
        job_id, title = s.execute(text("select id, title from job_orders order by id desc "
                                       "limit 1")).one()
        s.execute(text("update workers set full_name = 'Changed After Backup', "
                       "version = version + 1 where id = :i"), {"i": worker_id})
        s.execute(text("delete from applications where job_order_id = :i"), {"i": job_id})
        s.execute(text("delete from job_orders where id = :i"), {"i": job_id})
    return worker_id, job_id, name, title


def _rewrite_manifest(archive: Path, target: Path, **changes) -> Path:  # type: ignore[no-untyped-def]
    """Copy an archive with some manifest fields changed (a foreign or future archive)."""
    with tarfile.open(archive) as src, tarfile.open(target, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == MANIFEST:
                data = json.dumps({**json.loads(data), **changes}).encode()
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    return target


def _assert_restored(settings, worker_id: int, job_id: int, name: str, title: str) -> None:
    """The changes made after the backup are gone, in the registry and in search."""
    url = settings.database_url
    with session_scope(url) as s:
        assert s.execute(text("select full_name from workers where id = :i"),
                         {"i": worker_id}).scalar_one() == name
        assert s.execute(text("select title from job_orders where id = :i"),
                         {"i": job_id}).scalar_one() == title
    ix = Indexer(settings)
    try:
        assert all(d.clean for d in ix.verify().values())
        assert ix.backend.get(JOBS, job_id) is not None
        hits = ix.backend.search(JOBS, text=title, vector=None, k=20)
        assert job_id in [h.id for h in hits], f"{title!r} not found by search after restore"
        assert ix.backend.get(WORKERS, worker_id) is not None
    finally:
        ix.backend.close()
        get_engine(url).dispose()


def test_sqlite_round_trip(tmp_path):
    var = tmp_path / "var"
    shetu(var, *SEED)
    url = make_settings(var).database_url
    before = table_counts(url)
    archive = tmp_path / "backups" / "shetu.tar"

    r = shetu(var, "backup", str(archive))
    assert "60 workers" in r.stdout and "15 job_orders" in r.stdout
    manifest = read_manifest(archive)
    assert manifest.database == "sqlite" and manifest.counts == before
    assert manifest.revision == current_revision(url) and manifest.created_at
    assert manifest.shetu_version

    worker_id, job_id, name, title = _change_records(url)
    shetu(var, "index", "repair")  # the index now serves the changed records
    assert shetu(var, "index", "verify", check=False).returncode == 0

    refused = shetu(var, "restore", str(archive), check=False)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    with session_scope(url) as s:  # refusing changed nothing
        assert s.execute(text("select count(*) from job_orders")).scalar_one() == 14

    r = shetu(var, "restore", str(archive), "--yes")
    assert "reindexed: 60 workers, 15 jobs" in r.stdout and "index verify: clean" in r.stdout
    assert "workers: 60" in r.stderr  # progress: counts per table
    assert table_counts(url) == before
    assert shetu(var, "index", "verify").returncode == 0
    _assert_restored(make_settings(var), worker_id, job_id, name, title)

    # Disaster recovery: a machine with no database at all needs no --yes.
    fresh = tmp_path / "fresh"
    r = shetu(fresh, "restore", str(archive))
    assert "index verify: clean" in r.stdout
    assert table_counts(make_settings(fresh).database_url) == before
    _assert_restored(make_settings(fresh), worker_id, job_id, name, title)


def test_restore_refuses_foreign_and_future_archives(tmp_path):
    var = tmp_path / "var"
    shetu(var, *SEED[:3], "--workers", "10", "--job-orders", "3", "--agencies", "2",
          "--no-index")
    archive = tmp_path / "shetu.tar"
    shetu(var, "backup", str(archive))
    before = table_counts(make_settings(var).database_url)

    future = _rewrite_manifest(archive, tmp_path / "future.tar", revision="9999_from_the_future")
    r = shetu(var, "restore", str(future), "--yes", check=False)
    assert r.returncode == 2 and "newer" in r.stderr and "9999_from_the_future" in r.stderr

    foreign = _rewrite_manifest(archive, tmp_path / "pg.tar", database="postgresql")
    r = shetu(var, "restore", str(foreign), "--yes", check=False)
    assert r.returncode == 2 and "postgresql backup" in r.stderr

    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not an archive")
    r = shetu(var, "restore", str(junk), "--yes", check=False)
    assert r.returncode == 2 and "not a Shetu backup archive" in r.stderr
    assert table_counts(make_settings(var).database_url) == before


def test_sqlite_backup_is_consistent_while_writes_go_on(tmp_path):
    """The copy is one snapshot: its manifest counts are exactly what it holds."""
    var = tmp_path / "var"
    shetu(var, *SEED[:3], "--workers", "10", "--job-orders", "3", "--agencies", "2",
          "--no-index")
    db = var / "shetu.db"
    stop = threading.Event()

    def write() -> None:
        conn = sqlite3.connect(db, timeout=30)
        while not stop.is_set():
            conn.execute("insert into access_log (username, role, action) "
                         "values ('load', 'admin', 'backup-test')")
            conn.commit()
        conn.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        manifests = [create_backup(f"sqlite:///{db}", tmp_path / f"b{i}.tar") for i in range(3)]
    finally:
        stop.set()
        writer.join()
    for i, manifest in enumerate(manifests):
        with tarfile.open(tmp_path / f"b{i}.tar") as tar:
            tar.extract("registry.sqlite", tmp_path / f"x{i}", filter="data")
        copy = sqlite3.connect(tmp_path / f"x{i}" / "registry.sqlite")
        assert copy.execute("pragma integrity_check").fetchone()[0] == "ok"
        held = copy.execute("select count(*) from access_log").fetchone()[0]
        copy.close()
        assert held == manifest.counts["access_log"]
    assert manifests[-1].counts["access_log"] > 0


def test_every_known_revision_includes_the_database_head(tmp_path):
    var = tmp_path / "var"
    shetu(var, "migrate")
    assert current_revision(make_settings(var).database_url) in known_revisions()
    with pytest.raises(BackupError, match="not a Shetu backup archive"):
        read_manifest(tmp_path / "missing.tar")


@pytest.mark.integration
@needs_postgres
def test_postgres_round_trip(tmp_path):
    var = tmp_path / "var"
    with throwaway_database() as url:
        shetu(var, *SEED, database_url=url)
        settings = make_settings(var, database_url=url)
        before = table_counts(url)
        archive = tmp_path / "pg.tar"
        r = shetu(var, "backup", str(archive), database_url=url)
        assert "backup of postgresql" in r.stdout and "60 workers" in r.stdout
        manifest = read_manifest(archive)
        assert manifest.database == "postgresql" and manifest.counts == before
        assert manifest.revision == current_revision(url)

        worker_id, job_id, name, title = _change_records(url)
        shetu(var, "index", "repair", database_url=url)
        r = shetu(var, "restore", str(archive), database_url=url, check=False)
        assert r.returncode == 2 and "--yes" in r.stderr

        r = shetu(var, "restore", str(archive), "--yes", database_url=url)
        assert "index verify: clean" in r.stdout
        assert table_counts(url) == before
        assert shetu(var, "index", "verify", database_url=url).returncode == 0
        _assert_restored(settings, worker_id, job_id, name, title)
        # Writes after a restore get fresh ids: the sequences came back with the data.
        with session_scope(url) as s:
            s.execute(text("insert into access_log (username, role, action) "
                           "values ('ops', 'admin', 'after-restore')"))
        get_engine(url).dispose()

    # A PostgreSQL archive is refused by a SQLite registry.
    sqlite_var = tmp_path / "sqlite"
    shetu(sqlite_var, "migrate")
    r = shetu(sqlite_var, "restore", str(archive), "--yes", check=False)
    assert r.returncode == 2 and "postgresql backup" in r.stderr
