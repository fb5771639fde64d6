"""The signed-in worker's own views: profile and eligible jobs."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query

from api.access import own_worker
from api.deps import CurrentUser, IndexerDep, SessionDep, require
from api.schemas import EligibleJobs, WorkerOut
from api.serializers import eligible_jobs_out, worker_out
from indexer.ranking import rank_jobs_for_worker

router = APIRouter(prefix="/api/v1/me", tags=["me"])


@router.get("", response_model_exclude_unset=True)
def me(session: SessionDep, user: CurrentUser = require("worker")) -> WorkerOut:
    """Return the worker's own profile."""
    return worker_out(own_worker(session, user), private=True)


@router.get("/eligible-jobs", response_model_exclude_unset=True)
def eligible_jobs(session: SessionDep, ix: IndexerDep, user: CurrentUser = require("worker"),
                  limit: int = Query(20, ge=1, le=100)) -> EligibleJobs:
    """Verified jobs the worker is eligible for, best first; and what the others need."""
    today = dt.date.today()
    result = rank_jobs_for_worker(ix, own_worker(session, user), today=today, limit=limit,
                                  session=session)
    return eligible_jobs_out(result, ix.taxonomy, ix.settings.data_dir, today)
