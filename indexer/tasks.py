"""Celery tasks: a few lines each around plain, separately tested functions.

Every task is idempotent (documents carry record versions; expiry only closes what is still
open), so ``acks_late`` with ``reject_on_worker_lost`` can redeliver after a crash, and only
transient errors (search or database unreachable) are retried, with backoff and a cap.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from sqlalchemy.exc import InterfaceError, OperationalError

from indexer.celery_app import app, current_settings
from indexer.protocol import SearchUnavailableError
from indexer.service import Indexer

log = logging.getLogger(__name__)
TRANSIENT = (SearchUnavailableError, OperationalError, InterfaceError)
_RETRY = {"acks_late": True, "reject_on_worker_lost": True, "autoretry_for": TRANSIENT,
          "retry_backoff": 1, "retry_backoff_max": 30, "retry_jitter": True, "max_retries": 10}

_lock = threading.Lock()
_indexer: Indexer | None = None


def get_indexer() -> Indexer:
    """Return this process's indexer (created, with its encoder, on first use)."""
    global _indexer
    with _lock:
        if _indexer is None:
            _indexer = Indexer(current_settings())
        return _indexer


@app.task(name="shetu.drain_outbox", **_RETRY)
def drain_outbox() -> int:
    """Apply pending outbox events to the search indexes; return how many."""
    n = get_indexer().drain_outbox()
    if n:
        log.info("drained %d outbox events", n)
    return n


@app.task(name="shetu.expire_job_orders", **_RETRY)
def expire_job_orders() -> int:
    """Expire verified job orders past their deadline (registry.demand) and index the change."""
    from registry.db import session_scope
    from registry.demand import expire_due as expire

    with session_scope(current_settings().database_url) as session:
        closed = expire(session, dt.date.today())
    if closed:
        log.info("expired %d job orders past their deadline: %s", len(closed), closed[:20])
        get_indexer().drain_outbox()
    return len(closed)


@app.task(name="shetu.reconcile", **_RETRY)
def reconcile() -> dict[str, int]:
    """Compare registry and indexes and repair drift (nightly)."""
    drift = get_indexer().repair()
    fixed = {index: len(d.missing) + len(d.stale) + len(d.orphans) for index, d in drift.items()}
    log.info("reconcile repaired %s", fixed)
    return fixed


@app.task(name="shetu.retention", **_RETRY)
def retention() -> dict[str, int]:
    """Apply the retention rules: old access-log rows and idempotency keys (daily)."""
    from registry import idempotency
    from registry.audit import prune_access_log
    from registry.db import session_scope

    s = current_settings()
    with session_scope(s.database_url) as session:
        out = {"access_log": prune_access_log(session, dt.date.today(),
                                              s.access_log_retention_days),
               "idempotency_keys": idempotency.prune(session)}
    log.info("retention pruned %s", out)
    return out
