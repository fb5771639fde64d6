"""Idempotent creates: a retried POST with the same ``Idempotency-Key`` gets the first answer.

The key's row is written in the same transaction as the record it created, so a retry after
a lost response finds either both or neither. The same key with a different body is a 409.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from registry.models import IdempotencyKey

IDEMPOTENCY_TTL = dt.timedelta(hours=24)


class IdempotencyMismatchError(ValueError):
    """The key was used before with a different request body."""


@dataclass(frozen=True)
class Replay:
    """A stored first response."""

    status_code: int
    body: Any


def request_hash(route: str, body: Any) -> str:
    """Return a stable hash of the route and the JSON body."""
    raw = json.dumps([route, body], sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(raw.encode()).hexdigest()


def find(session: Session, username: str, key: str, digest: str) -> Replay | None:
    """Return the stored response for (username, key), or None if the key is new.

    :raises IdempotencyMismatchError: the key was used with another request.
    """
    row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.username == username,
                                                      IdempotencyKey.key == key))
    if row is None:
        return None
    if row.request_hash != digest:
        raise IdempotencyMismatchError(
            "this Idempotency-Key was already used for a different request: use a new key")
    return Replay(row.status_code, json.loads(row.body))


def remember(session: Session, username: str, key: str, digest: str, status_code: int,
             body: Any) -> None:
    """Store the response of a create under (username, key), in the caller's transaction."""
    session.add(IdempotencyKey(username=username, key=key, request_hash=digest,
                               status_code=status_code, body=json.dumps(body, default=str)))


def prune(session: Session, now: dt.datetime | None = None) -> int:
    """Delete keys older than the TTL; return how many."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    res = session.execute(delete(IdempotencyKey).where(
        IdempotencyKey.created_at < now - IDEMPOTENCY_TTL))
    return int(getattr(res, "rowcount", 0) or 0)
