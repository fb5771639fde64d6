"""No single record can stop indexing: drain, reindex, repair and start-up isolate it.

Poison records are made the way a bad day makes them: a registry row whose JSON or date does not
parse (written by hand, an old bug, a restore), and a worker with 71 languages (which once filled
the embedded index's 62-value bit set for good).
"""

from __future__ import annotations

import json
import logging
import sqlite3

import pytest
from sqlalchemy import select
from support import make_settings, seed_registry

from indexer.documents import JOBS, WORKERS
from indexer.service import MAX_ATTEMPTS, Indexer
from registry.models import OutboxEvent

LANGS = [f"Language {i}" for i in range(71)]


@pytest.fixture
def system(tmp_path, taxonomy):
    settings = make_settings(tmp_path)
    out = seed_registry(settings, taxonomy, workers=30, job_orders=6, agencies=3)
    out["settings"] = settings
    out["db"] = tmp_path / "shetu.db"
    yield out
    out["indexer"].backend.close()


def _sql(system, statement: str, *params) -> None:
    db = sqlite3.connect(system["db"])
    db.execute(statement, params)
    db.commit()
    db.close()


def _touch(system, worker_id: int, **columns) -> int:
    """Change a worker by hand with an outbox event, as a write would; return the new version."""
    db = sqlite3.connect(system["db"])
    sets = ", ".join(f"{k} = ?" for k in columns)
    db.execute(f"update workers set version = version + 1{', ' if sets else ''}{sets} "  # noqa: S608
               "where id = ?", (*columns.values(), worker_id))
    (version,) = db.execute("select version from workers where id = ?", (worker_id,)).fetchone()
    db.execute("insert into outbox (entity, entity_id, version, op, created_at, attempts) "
               "values ('worker', ?, ?, 'upsert', datetime('now'), 0)", (worker_id, version))
    db.commit()
    db.close()
    return version


def _poison(system) -> dict[int, int]:
    """Three poison workers (2, 3, 4) and good changes to 5..9; return the good versions."""
    _touch(system, 2, experience='["not an object"]')  # the document cannot be built
    _touch(system, 3, date_of_birth="31/02/1990")  # the record cannot even be loaded
    _touch(system, 4, skills="{not json")
    return {i: _touch(system, i, self_description=f"good change {i}", languages=json.dumps(
        LANGS if i == 5 else ["Bangla", f"Extra {i}"])) for i in range(5, 10)}


def _pending(ix: Indexer) -> list[OutboxEvent]:
    with ix.sessions() as s:
        return list(s.scalars(select(OutboxEvent).where(OutboxEvent.processed_at.is_(None))))


def test_drain_isolates_poison_events_and_sets_them_aside(system, caplog):
    ix: Indexer = system["indexer"]
    good = _poison(system)
    with caplog.at_level(logging.ERROR, logger="indexer.service"):
        n = ix.drain_outbox()
    assert n == len(good)
    versions = ix.backend.versions(WORKERS)
    assert all(versions[i] == v for i, v in good.items())
    # 71 languages, then workers with new languages: every one indexed and filterable.
    count = ix.backend.count
    assert count(WORKERS, [{"field": "languages", "op": "eq", "value": "Language 70"}]) == 1
    assert count(WORKERS, [{"field": "languages", "op": "eq", "value": "Extra 9"}]) == 1
    pending = _pending(ix)
    assert sorted(e.entity_id for e in pending) == [2, 3, 4]
    assert all(e.attempts == 1 for e in pending)
    assert {f"worker {i}" for i in (2, 3, 4)} <= {
        m for r in caplog.records for m in (f"worker {i}" for i in (2, 3, 4))
        if m in r.getMessage()}
    # A later write is indexed even though the poison events come first in the queue.
    later = _touch(system, 10, self_description="after the poison")
    assert ix.drain_outbox() == 1
    assert ix.backend.versions(WORKERS)[10] == later
    for _ in range(MAX_ATTEMPTS):
        ix.drain_outbox()
    assert _pending(ix) == []  # set aside after MAX_ATTEMPTS, no longer blocking
    with ix.sessions() as s:
        attempts = dict(s.execute(select(OutboxEvent.entity_id, OutboxEvent.attempts)
                                  .where(OutboxEvent.entity_id.in_([2, 3, 4]),
                                         OutboxEvent.attempts > 0)).all())
    assert attempts == {2: MAX_ATTEMPTS, 3: MAX_ATTEMPTS, 4: MAX_ATTEMPTS}
    drift = ix.verify()[WORKERS]
    assert sorted(drift.stale + drift.missing) == [2, 3, 4]  # still reported until fixed


def test_reindex_and_repair_complete_and_count_the_failures(system):
    ix: Indexer = system["indexer"]
    good = _poison(system)
    counts = ix.reindex()
    assert counts["failed"] == 3
    assert counts[WORKERS] == 30 - 3 and counts[JOBS] == 6
    versions = ix.backend.versions(WORKERS)
    assert all(versions[i] == v for i, v in good.items())
    assert sorted(ix.verify()[WORKERS].missing) == [2, 3, 4]
    drift = ix.repair()
    assert drift[WORKERS].failed == [2, 3, 4]
    # Fixed records are indexed by the next repair.
    _sql(system, "update workers set experience = '[]', skills = '[]', "
                 "date_of_birth = '1990-02-03' where id in (2, 3, 4)")
    assert ix.repair()[WORKERS].failed == []
    assert ix.verify()[WORKERS].clean


def test_start_up_and_recover_never_fail_because_of_a_document(system):
    from fastapi.testclient import TestClient

    from api.app import create_app

    good = _poison(system)
    ix = Indexer(system["settings"], taxonomy=system["indexer"].taxonomy)
    system["indexer"].backend.close()  # the app's indexer takes over the index
    app = create_app(system["settings"], indexer=ix)
    with TestClient(app) as client:  # the lifespan drains the outbox with the poison in it
        assert client.get("/health").status_code == 200
    versions = ix.backend.versions(WORKERS)
    assert all(versions[i] == v for i, v in good.items())
    drift = ix.recover()
    assert drift[WORKERS].failed == [2, 3, 4]
    ix.backend.close()
