"""Recorded outcomes: an officer records a worker's status for a job order (training data)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import CurrentUser, SessionDep, require
from registry import service
from registry.models import AccessLog, Application, JobOrder, Worker

router = APIRouter(prefix="/api/v1/job-orders", tags=["job orders"])

OutcomeStatus = Literal["shortlisted", "selected", "rejected", "deployed"]


class OutcomeIn(BaseModel):
    """An officer's decision about one worker for one job order."""

    model_config = ConfigDict(extra="forbid")

    worker_id: int
    status: OutcomeStatus


def record_outcome(session: Session, job: JobOrder, worker_id: int,
                   status_: str) -> tuple[Application, bool]:
    """Upsert the worker's application for ``job`` with ``status_``; return (row, created)."""
    service.get(session, Worker, worker_id)
    app = session.scalar(select(Application).where(Application.job_order_id == job.id,
                                                   Application.worker_id == worker_id))
    created = app is None
    if app is None:
        app = Application(job_order_id=job.id, worker_id=worker_id, status=status_, version=1)
        session.add(app)
    elif app.status != status_:
        app.status = status_
        app.version = (app.version or 1) + 1
    session.flush()
    return app, created


@router.post("/{job_order_id}/outcomes")
def post_outcome(job_order_id: int, body: OutcomeIn, session: SessionDep, response: Response,
                 user: CurrentUser = require("officer", "admin")) -> dict:
    """Record that a worker was shortlisted, selected, rejected or deployed for a job order."""
    job = service.get(session, JobOrder, job_order_id)
    if user.role == "officer" and job.agency_id != user.agency_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"job order {job_order_id} belongs to "
                            "another agency: only its own officers may record outcomes")
    app, created = record_outcome(session, job, body.worker_id, body.status)
    session.add(AccessLog(username=user.username, role=user.role, action="record_outcome",
                          worker_id=body.worker_id, job_order_id=job.id))
    session.commit()
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return {"job_order_id": job.id, "worker_id": app.worker_id, "status": app.status,
            "version": app.version, "created": created}
