"""Recorded outcomes: an officer records a worker's status for a job order (training data).

Outcomes follow the recruitment steps (``registry.vocab.OUTCOME_TRANSITIONS``): an application
is opened only by shortlisting a consenting worker who is eligible for the (matchable) job
order; a worker is selected only after being shortlisted and deployed only after being
selected. Anything else is a 409 saying which step is missing.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Response, status
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.access import is_candidate
from api.deps import CurrentUser, IdPath, SessionDep, require
from api.routes.job_orders import visible_job
from registry import service
from registry.audit import log_access
from registry.models import Application, JobOrder, Worker
from registry.schemas import InModel
from registry.service import ConflictError
from registry.vocab import MAX_ID, OUTCOME_TRANSITIONS, OutcomeStatus

router = APIRouter(prefix="/api/v1/job-orders", tags=["job orders"])


class OutcomeIn(InModel):
    """An officer's decision about one worker for one job order."""

    worker_id: int = Field(ge=1, le=MAX_ID)
    status: OutcomeStatus


def record_outcome(session: Session, job: JobOrder, worker_id: int, status_: str,
                   today: dt.date) -> tuple[Application, bool]:
    """Move the worker's application for ``job`` to ``status_``; return (row, created).

    :raises ConflictError: the step is not allowed from the current one, or (for a new
        application) the worker has not consented or is not eligible, or the order is not
        matchable.
    """
    worker = service.get(session, Worker, worker_id)
    app = session.scalar(select(Application).where(Application.job_order_id == job.id,
                                                   Application.worker_id == worker_id))
    current = app.status if app is not None else None
    if current == status_:
        return app, False  # type: ignore[return-value]  # the same decision again: no change
    if status_ not in OUTCOME_TRANSITIONS.get(current, frozenset()):
        now = f"is {current}" if current else "has no application for this job order"
        allowed = sorted(OUTCOME_TRANSITIONS.get(current, frozenset()))
        raise ConflictError(f"worker {worker_id} {now}: cannot record {status_!r}"
                            + (f" (next steps: {', '.join(allowed)})" if allowed else ""))
    if app is None:
        if not is_candidate(worker, job, today):
            raise ConflictError(f"worker {worker_id} cannot be shortlisted for job order "
                                f"{job.id}: the worker must have consented and be eligible, "
                                "and the job order must be verified and in date")
        app = Application(job_order_id=job.id, worker_id=worker_id, status=status_, version=1)
        session.add(app)
        session.flush()
        return app, True
    app.status = status_
    app.version = (app.version or 1) + 1
    session.flush()
    return app, False


@router.post("/{job_order_id}/outcomes")
def post_outcome(job_order_id: IdPath, body: OutcomeIn, session: SessionDep, response: Response,
                 user: CurrentUser = require("officer", "admin")) -> dict:
    """Record that a worker was shortlisted, selected, rejected or deployed for a job order."""
    job = visible_job(session, user, job_order_id)

    def work() -> tuple[Application, bool]:
        app, created = record_outcome(session, job, body.worker_id, body.status,
                                      dt.date.today())
        log_access(session, username=user.username, role=user.role, action="record_outcome",
                   worker_ids=[body.worker_id], job_order_id=job.id)
        return app, created

    app, created = service.write_with_retry(session, work)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return {"job_order_id": job.id, "worker_id": app.worker_id, "status": app.status,
            "version": app.version, "created": created}
