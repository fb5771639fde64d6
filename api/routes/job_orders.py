"""Job orders: list, read, create/patch/delete (admin), ranked candidates (officer, admin)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import and_, func, or_, select

from api.access import visible_job
from api.deps import (
    CurrentUser,
    IdempotencyKeyDep,
    IdPath,
    IfMatchDep,
    IndexerDep,
    Offset,
    SessionDep,
    require,
)
from api.schemas import CandidateList, JobOrderList, JobOrderOut
from api.serializers import candidates_out, job_out
from api.writes import WritesDep, etag
from indexer.ranking import rank_workers_for_job
from registry import service
from registry.demand import why_not_matchable
from registry.models import JobOrder
from registry.schemas import JobOrderIn, JobOrderPatch
from registry.service import ConflictError
from registry.vocab import JOB_EXPIRED, JOB_VERIFIED, JobStatus

router = APIRouter(prefix="/api/v1/job-orders", tags=["job orders"])


@router.get("")
def list_job_orders(session: SessionDep,
                    user: CurrentUser = require("officer", "auditor", "ministry", "admin"),
                    status_: JobStatus | None = Query(None, alias="status"),
                    destination: str | None = Query(None, max_length=80),
                    limit: int = Query(50, ge=1, le=500), offset: Offset = 0) -> JobOrderList:
    """List job orders (an officer sees their own agency's only)."""
    q = select(JobOrder)
    today = dt.date.today()
    if status_ == JOB_VERIFIED:  # never a verified order past its deadline (not yet expired)
        q = q.where(JobOrder.status == JOB_VERIFIED, JobOrder.deadline >= today)
    elif status_ == JOB_EXPIRED:
        q = q.where(or_(JobOrder.status == JOB_EXPIRED, and_(JobOrder.status == JOB_VERIFIED,
                                                             JobOrder.deadline < today)))
    elif status_:
        q = q.where(JobOrder.status == status_)
    if destination:
        q = q.where(JobOrder.destination == destination)
    if user.role == "officer":
        q = q.where(JobOrder.agency_id == (user.agency_id or -1))
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(q.order_by(JobOrder.deadline, JobOrder.id).offset(offset).limit(limit))
    return JobOrderList(items=[job_out(j, today) for j in rows], total=total)


@router.get("/{job_order_id}")
def get_job_order(job_order_id: IdPath, session: SessionDep, response: Response,
                  user: CurrentUser = require("officer", "auditor", "ministry", "admin")
                  ) -> JobOrderOut:
    """Return one job order."""
    job = visible_job(session, user, job_order_id)
    response.headers["ETag"] = etag(job.version)
    return job_out(job, dt.date.today())


@router.get("/{job_order_id}/candidates")
def candidates(job_order_id: IdPath, writes: WritesDep, ix: IndexerDep,
               user: CurrentUser = require("officer", "admin"),
               limit: int = Query(20, ge=1, le=200)) -> CandidateList:
    """Rank the eligible workers for a verified job order, with why each fits."""
    job = visible_job(writes.session, user, job_order_id)
    reasons = why_not_matchable(job, dt.date.today())
    if reasons:
        raise ConflictError(f"job order {job_order_id} is not matchable: " + "; ".join(reasons))
    result = rank_workers_for_job(ix, job, limit=limit)
    if result.items:  # one row per view, naming every worker shown
        writes.log_view(user, "rank_candidates", [m.id for m in result.items], job.id)
    return candidates_out(job.id, result, ix.taxonomy)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=JobOrderOut)
def create_job_order(body: JobOrderIn, writes: WritesDep, key: IdempotencyKeyDep,
                     user: CurrentUser = require("admin")) -> Response:
    """Create a job order as a draft (searchable when the response returns); it moves on
    only through the lifecycle: submit, verify or reject, close."""

    def make() -> JobOrderOut:
        job = service.create(writes.session, JobOrder, body)
        writes.session.refresh(job)
        return job_out(job, dt.date.today())

    return writes.create(user, key, "job-orders", body.model_dump(mode="json"), make)


@router.patch("/{job_order_id}")
def patch_job_order(job_order_id: IdPath, body: JobOrderPatch, writes: WritesDep,
                    response: Response, expected: IfMatchDep,
                    _user: CurrentUser = require("admin")) -> JobOrderOut:
    """Change a job order; ``If-Match: "version"`` guards a stale edit (412)."""
    return writes.update(response, lambda: job_out(
        service.update(writes.session, JobOrder, job_order_id, body, expected_version=expected),
        dt.date.today()))


@router.delete("/{job_order_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_job_order(job_order_id: IdPath, writes: WritesDep,
                     _user: CurrentUser = require("admin")) -> None:
    """Delete a job order."""
    writes.delete(lambda: service.delete(writes.session, JobOrder, job_order_id))
