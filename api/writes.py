"""The write path every mutating route shares: commit, then make the change searchable.

A route asks for :data:`WritesDep` and hands it the work (a ``registry.service`` call that
changes records and writes their outbox rows). :class:`Writes` commits it (retrying a lost
optimistic-lock race), then indexes it (``after_commit``) before the response goes out; a create
sent with an ``Idempotency-Key`` seen before returns the first response instead of a second
record; updates answer with the record's ETag. Nothing else in ``api/`` commits a session.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from api.deps import CurrentUser, IndexerDep, SessionDep
from indexer.freshness import after_commit
from indexer.service import Indexer
from registry import idempotency
from registry.audit import log_access
from registry.service import write_with_retry

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def etag(version: int) -> str:
    """Return the ETag of a record version (what ``If-Match`` sends back)."""
    return f'"{int(version)}"'


def _body(model: BaseModel) -> dict[str, Any]:
    """The JSON of a response model as the routes send it (unset optional fields left out)."""
    return model.model_dump(mode="json", exclude_unset=True)


class Writes:
    """One request's writes: ``session`` commits, ``ix`` is refreshed after each commit."""

    def __init__(self, session: Session, ix: Indexer) -> None:
        self.session = session
        self.ix = ix

    def create(self, user: CurrentUser, key: str | None, route: str, payload: Any,
               make: Callable[[], BaseModel]) -> JSONResponse:
        """Run ``make`` (adds and flushes a record, returns its model) once per key; 201."""
        digest = idempotency.request_hash(route, payload)
        if key is not None:
            replay = idempotency.find(self.session, user.username, key, digest)
            if replay is not None:
                return JSONResponse(replay.body, replay.status_code,
                                    headers={"Idempotent-Replayed": "true"})
        body = _body(make())
        if key is not None:
            idempotency.remember(self.session, user.username, key, digest, 201, body)
        self.session.commit()
        after_commit(self.ix)
        headers = {"ETag": etag(body["version"])} if "version" in body else {}
        return JSONResponse(body, 201, headers=headers)

    def update(self, response: Response, work: Callable[[], M]) -> M:
        """Run ``work`` (read, change, return the model) with optimistic-lock retries, commit,
        index; the response carries the new ETag."""
        body = self.run(work)
        version = getattr(body, "version", None)
        if version is not None:
            response.headers["ETag"] = etag(version)
        return body

    def delete(self, work: Callable[[], None]) -> None:
        """Run ``work`` (a delete) with optimistic-lock retries, then index the tombstone."""
        self.run(work)

    def run(self, work: Callable[[], T]) -> T:
        """Run ``work`` with optimistic-lock retries, commit, and index what it changed."""
        out = write_with_retry(self.session, work)
        after_commit(self.ix)
        return out

    def log_view(self, user: CurrentUser, action: str, worker_ids: Sequence[int],
                 job_order_id: int | None = None) -> None:
        """Record that ``user`` saw these workers (one access-log row) and commit it."""
        log_access(self.session, username=user.username, role=user.role, action=action,
                   worker_ids=worker_ids, job_order_id=job_order_id)
        self.session.commit()


def get_writes(session: SessionDep, ix: IndexerDep) -> Writes:
    """Return the request's :class:`Writes` (on the request's one session)."""
    return Writes(session, ix)


WritesDep = Annotated[Writes, Depends(get_writes)]
