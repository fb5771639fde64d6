"""The signed-in worker's own views: profile and eligible jobs."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query, status

from api.deps import CurrentUser, IndexerDep, SessionDep, require
from api.serializers import worker_json
from indexer.ranking import rank_jobs_for_worker
from registry import service
from registry.models import Worker

router = APIRouter(prefix="/api/v1/me", tags=["me"])


def _own_worker(session, user: CurrentUser) -> Worker:  # type: ignore[no-untyped-def]
    if user.worker_id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this account has no worker profile")
    return service.get(session, Worker, user.worker_id)


@router.get("")
def me(session: SessionDep, user: CurrentUser = require("worker")) -> dict:
    """Return the worker's own profile."""
    return worker_json(_own_worker(session, user), private=True)


@router.get("/eligible-jobs")
def eligible_jobs(session: SessionDep, ix: IndexerDep, user: CurrentUser = require("worker"),
                  limit: int = Query(20, ge=1, le=100)) -> dict:
    """Verified jobs the worker is eligible for, best first; and what the others need."""
    return rank_jobs_for_worker(ix, _own_worker(session, user), limit=limit, session=session)
