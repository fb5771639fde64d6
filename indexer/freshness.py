"""After a write commits, make it searchable: drain in-process, or hand it to Celery."""

from __future__ import annotations

import logging

from indexer.protocol import SearchUnavailableError
from indexer.service import Indexer

log = logging.getLogger(__name__)


def after_commit(ix: Indexer) -> None:
    """Index what the last commit wrote; never fail the write itself."""
    if ix.settings.freshness == "celery":
        try:
            from indexer.tasks import drain_outbox

            drain_outbox.apply_async(retry=False)
        except Exception as exc:  # noqa: BLE001 — a down broker must not fail a stored write
            log.warning("could not enqueue outbox drain (%s); beat will pick it up", exc)
        return
    try:
        ix.drain_outbox()
    except SearchUnavailableError as exc:
        log.warning("search unavailable, outbox kept for later: %s", exc)
