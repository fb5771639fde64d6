"""Recorded outcomes: a worker's application status for a job order (re-ranker training data).

Outcomes follow the recruitment steps (``registry.vocab.OUTCOME_TRANSITIONS``): an application
is opened only by shortlisting a worker who may be shortlisted (consenting, eligible, for a
matchable job order: the caller's ``may_open`` rule, which needs the matcher); a worker is
selected only after being shortlisted and deployed only after being selected. Anything else is
a ConflictError saying which step is missing.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import service
from registry.models import Application, JobOrder, Worker
from registry.service import ConflictError
from registry.vocab import OUTCOME_TRANSITIONS


def next_steps(current: str | None) -> list[str]:
    """Return the outcomes that may be recorded after ``current`` (None: no application)."""
    return sorted(OUTCOME_TRANSITIONS.get(current, frozenset()))


def check_transition(worker_id: int, current: str | None, status: str) -> None:
    """Raise ConflictError unless ``status`` may follow ``current``, naming the next steps."""
    if status in OUTCOME_TRANSITIONS.get(current, frozenset()):
        return
    now = f"is {current}" if current else "has no application for this job order"
    allowed = next_steps(current)
    raise ConflictError(f"worker {worker_id} {now}: cannot record {status!r}"
                        + (f" (next steps: {', '.join(allowed)})" if allowed else ""))


def record_outcome(session: Session, job: JobOrder, worker_id: int, status: str, *,
                   may_open: Callable[[Worker, JobOrder], bool]) -> tuple[Application, bool]:
    """Move the worker's application for ``job`` to ``status``; return (row, created).

    Recording the current status again changes nothing.

    :raises NotFoundError: no such worker.
    :raises ConflictError: the step is not allowed from the current one, or (for a new
        application) ``may_open(worker, job)`` is false.
    """
    worker = service.get(session, Worker, worker_id)
    app = session.scalar(select(Application).where(Application.job_order_id == job.id,
                                                   Application.worker_id == worker_id))
    current = app.status if app is not None else None
    if app is not None and current == status:
        return app, False
    check_transition(worker_id, current, status)
    if app is None:
        if not may_open(worker, job):
            raise ConflictError(f"worker {worker_id} cannot be shortlisted for job order "
                                f"{job.id}: the worker must have consented and be eligible, "
                                "and the job order must be verified and in date")
        app = Application(job_order_id=job.id, worker_id=worker_id, status=status, version=1)
        session.add(app)
        session.flush()
        return app, True
    app.status = status
    app.version = (app.version or 1) + 1
    session.flush()
    return app, False
