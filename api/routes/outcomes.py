"""Recorded outcomes: an officer records a worker's status for a job order (training data).

The recruitment steps are ``registry.outcomes``; an application is opened only for a worker
``api.access.is_candidate`` says the officer could have been shown.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Response, status

from api.access import is_candidate, visible_job
from api.deps import CurrentUser, IdPath, require
from api.schemas import OutcomeOut
from api.writes import WritesDep
from registry.audit import log_access
from registry.models import Application, JobOrder, Worker
from registry.outcomes import record_outcome
from registry.schemas import OutcomeIn

router = APIRouter(prefix="/api/v1/job-orders", tags=["job orders"])


@router.post("/{job_order_id}/outcomes",
             responses={201: {"model": OutcomeOut, "description": "an application was opened"}})
def post_outcome(job_order_id: IdPath, body: OutcomeIn, writes: WritesDep, response: Response,
                 user: CurrentUser = require("officer", "admin")) -> OutcomeOut:
    """Record that a worker was shortlisted, selected, rejected or deployed for a job order."""
    job = visible_job(writes.session, user, job_order_id)
    today = dt.date.today()

    def may_open(worker: Worker, job: JobOrder) -> bool:
        return is_candidate(worker, job, today)

    def work() -> tuple[Application, bool]:
        app, created = record_outcome(writes.session, job, body.worker_id, body.status,
                                      may_open=may_open)
        log_access(writes.session, username=user.username, role=user.role,
                   action="record_outcome", worker_ids=[body.worker_id], job_order_id=job.id)
        return app, created

    app, created = writes.run(work)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return OutcomeOut(job_order_id=job.id, worker_id=app.worker_id, status=app.status,  # type: ignore[arg-type]
                      version=app.version, created=created)
