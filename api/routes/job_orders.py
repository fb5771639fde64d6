"""Job orders: list, read, create/patch/delete (admin), ranked candidates (officer, admin)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, HTTPException, Query, Response, status
from sqlalchemy import func, select

from api import writes
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
from api.serializers import job_json
from indexer.ranking import rank_workers_for_job
from registry import service
from registry.audit import log_access
from registry.compliance import job_is_matchable, job_is_verified, licence_status
from registry.models import JobOrder
from registry.schemas import JobOrderIn, JobOrderPatch
from registry.vocab import JobStatus

router = APIRouter(prefix="/api/v1/job-orders", tags=["job orders"])


def _visible(job: JobOrder, user: CurrentUser) -> bool:
    return user.role != "officer" or job.agency_id == user.agency_id


def visible_job(session, user: CurrentUser, job_order_id: int) -> JobOrder:  # type: ignore[no-untyped-def]
    """Return the job order, or 404 — also for another agency's order (existence not leaked)."""
    job = service.get(session, JobOrder, job_order_id)
    if not _visible(job, user):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"job_order {job_order_id} not found")
    return job


@router.get("")
def list_job_orders(session: SessionDep,
                    user: CurrentUser = require("officer", "auditor", "admin"),
                    status_: JobStatus | None = Query(None, alias="status"),
                    destination: str | None = Query(None, max_length=80),
                    limit: int = Query(50, ge=1, le=500), offset: Offset = 0) -> dict:
    """List job orders (an officer sees their own agency's only)."""
    q = select(JobOrder)
    if status_:
        q = q.where(JobOrder.status == status_)
    if destination:
        q = q.where(JobOrder.destination == destination)
    if user.role == "officer":
        q = q.where(JobOrder.agency_id == (user.agency_id or -1))
    total = session.scalar(select(func.count()).select_from(q.subquery()))
    today = dt.date.today()
    rows = session.scalars(q.order_by(JobOrder.deadline, JobOrder.id).offset(offset).limit(limit))
    return {"items": [job_json(j, today) for j in rows], "total": total}


@router.get("/{job_order_id}")
def get_job_order(job_order_id: IdPath, session: SessionDep, response: Response,
                  user: CurrentUser = require("officer", "auditor", "admin")) -> dict:
    """Return one job order."""
    job = visible_job(session, user, job_order_id)
    response.headers["ETag"] = writes.etag(job.version)
    return job_json(job, dt.date.today())


@router.get("/{job_order_id}/candidates")
def candidates(job_order_id: IdPath, session: SessionDep, ix: IndexerDep,
               user: CurrentUser = require("officer", "admin"),
               limit: int = Query(20, ge=1, le=200)) -> dict:
    """Rank the eligible workers for a verified job order, with why each fits."""
    job = visible_job(session, user, job_order_id)
    today = dt.date.today()
    if not job_is_matchable(job, today):
        reasons = []
        if not job_is_verified(job):
            reasons.append("demand not verified (attested demand letter and recruitment "
                           "permission needed)")
        if job.deadline < today:
            reasons.append(f"deadline {job.deadline.isoformat()} has passed")
        ls = licence_status(job.agency, today)
        if ls != "valid":
            reasons.append(f"agency licence is {ls}")
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"job order {job_order_id} is not matchable: " + "; ".join(reasons))
    result = rank_workers_for_job(ix, job, limit=limit)
    tax = ix.taxonomy
    items = [{"worker_id": m.id, "score": m.score, "score_parts": m.parts,
              "matched_skills": [tax.skill_label(s) for s in m.matched_skills],
              "missing_skills": [tax.skill_label(s) for s in m.missing_skills]}
             for m in result.items]
    if result.items:  # one row per view, naming every worker shown
        log_access(session, username=user.username, role=user.role, action="rank_candidates",
                   worker_ids=[m.id for m in result.items], job_order_id=job.id)
    session.commit()
    return {"job_order_id": job.id, "items": items, "excluded": result.excluded,
            "eligible_total": result.eligible_total}


@router.post("", status_code=status.HTTP_201_CREATED)
def create_job_order(body: JobOrderIn, session: SessionDep, ix: IndexerDep,
                     key: IdempotencyKeyDep, user: CurrentUser = require("admin")) -> Response:
    """Create a job order (searchable when the response returns)."""

    def make() -> dict:
        job = service.create(session, JobOrder, body)
        session.refresh(job)
        return job_json(job, dt.date.today())

    return writes.create(session, ix, user, key, "job-orders", body.model_dump(mode="json"),
                         make)


@router.patch("/{job_order_id}")
def patch_job_order(job_order_id: IdPath, body: JobOrderPatch, session: SessionDep,
                    ix: IndexerDep, response: Response, expected: IfMatchDep,
                    _user: CurrentUser = require("admin")) -> dict:
    """Change a job order; ``If-Match: "version"`` guards a stale edit (412)."""

    def work() -> dict:
        job = service.update(session, JobOrder, job_order_id, body, expected_version=expected)
        return job_json(job, dt.date.today())

    return writes.update(session, ix, response, work)


@router.delete("/{job_order_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_job_order(job_order_id: IdPath, session: SessionDep, ix: IndexerDep,
                     _user: CurrentUser = require("admin")) -> None:
    """Delete a job order."""
    writes.delete(session, ix, lambda: service.delete(session, JobOrder, job_order_id))
