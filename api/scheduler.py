"""The in-process scheduler of ``shetu serve`` on the embedded default (freshness=inprocess).

Under Celery, beat runs expiry and the reconcile (indexer.schedule). Without Celery nothing else
would, so the app runs them itself on one background thread, started in the app's lifespan and
stopped on shutdown:

- expiry (registry.demand.expire_due): at start-up, then whenever the date changes (checked
  every ``tick_s``), so a verified job order becomes expired the day after its deadline;
- index reconciliation (Indexer.recover: drain the outbox, repair drift) every
  ``reconcile_every_s``.

The clock is injected (``today``), so tests move time instead of waiting for it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable

from indexer.protocol import SearchUnavailableError
from indexer.service import Indexer
from registry import demand
from registry.db import session_scope

log = logging.getLogger("shetu.scheduler")


class Scheduler:
    """Runs expiry and reconciliation on a daemon thread until :meth:`stop`."""

    def __init__(self, ix: Indexer, database_url: str, *,
                 today: Callable[[], dt.date] = dt.date.today, tick_s: float = 60.0,
                 reconcile_every_s: float = 3600.0) -> None:
        self.ix = ix
        self.database_url = database_url
        self.today = today
        self.tick_s = tick_s
        self.reconcile_every_s = reconcile_every_s
        self.expired_on: dt.date | None = None  # the last day expiry ran for
        self.reconciled_at = time.monotonic()  # start-up has just reconciled (api.app)
        self.runs = {"expiry": 0, "reconcile": 0}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the jobs ----------------------------------------------------------------------------
    def expire(self, today: dt.date) -> list[int]:
        """Expire verified job orders whose deadline is before ``today``; index the change."""
        with session_scope(self.database_url) as s:
            ids = demand.expire_due(s, today)
        self.expired_on = today
        self.runs["expiry"] += 1
        if ids:
            log.info("expired %d job orders past their deadline: %s", len(ids), ids[:20])
            try:
                self.ix.drain_outbox()
            except SearchUnavailableError as exc:  # the reconcile or the next write drains it
                log.warning("search unavailable after expiry: %s", exc)
        return ids

    def reconcile(self) -> None:
        """Drain the outbox and repair any drift between the registry and the index."""
        self.reconciled_at = time.monotonic()
        self.runs["reconcile"] += 1
        self.ix.recover()

    def tick(self) -> None:
        """Run whatever is due now; never raises (a failed run is logged and retried)."""
        try:
            today = self.today()
            if self.expired_on != today:
                self.expire(today)
        except Exception:  # noqa: BLE001 — the scheduler must outlive one failed run
            log.exception("job-order expiry failed; retried at the next tick")
        try:
            if time.monotonic() - self.reconciled_at >= self.reconcile_every_s:
                self.reconcile()
        except Exception:  # noqa: BLE001
            log.exception("index reconcile failed; retried at the next period")

    # -- the thread ----------------------------------------------------------------------------
    def start(self) -> None:
        """Run what is due now (expiry at start-up), then keep running on a daemon thread."""
        self.tick()
        self._thread = threading.Thread(target=self._loop, name="shetu-scheduler", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_s):
            self.tick()

    @property
    def running(self) -> bool:
        """Whether the background thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the thread (waits for a run in progress to finish)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
