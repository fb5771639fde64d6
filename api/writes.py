"""The write path every mutating route shares: idempotent creates, retried updates, ETags.

A write commits the record with its outbox row, then makes it searchable (``after_commit``)
before the response goes out; a create sent with an ``Idempotency-Key`` that was seen before
returns the first response instead of a second record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from api.deps import CurrentUser
from indexer.freshness import after_commit
from indexer.service import Indexer
from registry import idempotency
from registry.service import write_with_retry


def etag(version: int) -> str:
    """Return the ETag of a record version (what ``If-Match`` sends back)."""
    return f'"{int(version)}"'


def create(session: Session, ix: Indexer, user: CurrentUser, key: str | None, route: str,
           payload: Any, make: Callable[[], dict[str, Any]]) -> JSONResponse:
    """Run ``make`` (which adds and flushes a record and returns its JSON) once per key."""
    digest = idempotency.request_hash(route, payload)
    if key is not None:
        replay = idempotency.find(session, user.username, key, digest)
        if replay is not None:
            return JSONResponse(replay.body, replay.status_code,
                                headers={"Idempotent-Replayed": "true"})
    body = make()
    if key is not None:
        idempotency.remember(session, user.username, key, digest, 201, body)
    session.commit()
    after_commit(ix)
    headers = {"ETag": etag(body["version"])} if "version" in body else {}
    return JSONResponse(body, 201, headers=headers)


def update(session: Session, ix: Indexer, response: Response,
           work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``work`` (read, change, return JSON) with optimistic-lock retries, then index it."""
    body = write_with_retry(session, work)
    after_commit(ix)
    if "version" in body:
        response.headers["ETag"] = etag(body["version"])
    return body


def delete(session: Session, ix: Indexer, work: Callable[[], None]) -> None:
    """Run ``work`` (a delete) with optimistic-lock retries, then index the tombstone."""
    write_with_retry(session, work)
    after_commit(ix)
