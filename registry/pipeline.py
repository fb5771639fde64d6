"""A job order's recruitment pipeline: shortlist → selected → deployed, or rejected with a reason.

Each step goes through the outcome service (``registry.outcomes.record_outcome``, the same as
``POST /api/v1/job-orders/{id}/outcomes``), so every step is re-ranker training data; this
module adds the step's history (who, when, from, to, why) in ``pipeline_steps``, bulk moves
that either all land or none does, and the shortlist as CSV rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.models import Application, Base, JobOrder, Worker
from registry.outcomes import record_outcome
from registry.service import ConflictError, InvalidRecordError
from registry.vocab import DEPLOYED, REJECTED, SELECTED, SHORTLISTED

MAX_BULK = 200  # workers per bulk action (one form post)
MAX_REASON = 500
# Statuses at which the officer has chosen the worker for this job order: identity numbers show.
CHOSEN: frozenset[str] = frozenset({SHORTLISTED, SELECTED, DEPLOYED})
PIPELINE_ORDER = (SHORTLISTED, SELECTED, DEPLOYED, REJECTED)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class PipelineStep(Base):
    """One step of a worker's application for a job order: who moved it, when, and why."""

    __tablename__ = "pipeline_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now(), default=_now)
    job_order_id: Mapped[int] = mapped_column(ForeignKey("job_orders.id"), nullable=False,
                                              index=True)
    worker_id: Mapped[int] = mapped_column(Integer, nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    username: Mapped[str] = mapped_column(String(80), nullable=False)


@dataclass(frozen=True, slots=True)
class Entry:
    """A worker in a job order's pipeline, with the reason of the last rejection (if any)."""

    worker_id: int
    full_name: str
    district: str | None
    status: str
    reason: str | None


def status_of(session: Session, job_order_id: int, worker_id: int) -> str | None:
    """Return the worker's application status for the job order (None: no application)."""
    return session.scalar(select(Application.status).where(
        Application.job_order_id == job_order_id, Application.worker_id == worker_id))


def is_chosen(session: Session, job_order_id: int, worker_id: int) -> bool:
    """Return whether the worker is shortlisted (or further) for this job order."""
    return status_of(session, job_order_id, worker_id) in CHOSEN


def clean_reason(status: str, reason: str | None) -> str | None:
    """Return the step's reason, stripped; a rejection needs one, at most 500 characters.

    :raises InvalidRecordError: a rejection without a reason, or a reason too long.
    """
    text = " ".join((reason or "").split()) or None
    if text is not None and len(text) > MAX_REASON:
        raise InvalidRecordError(f"reason: at most {MAX_REASON} characters")
    if status == REJECTED and text is None:
        raise InvalidRecordError("reason: a rejection needs a reason")
    return text


def move(session: Session, job: JobOrder, worker_ids: Sequence[int], status: str, *,
         username: str, reason: str | None,
         may_open: Callable[[Worker, JobOrder], bool]) -> list[tuple[Application, bool]]:
    """Move each worker's application to ``status`` (all or none: the caller commits once).

    :raises InvalidRecordError: no workers, too many, or a rejection without a reason.
    :raises ConflictError: a step the outcome rules do not allow (names the worker).
    :raises NotFoundError: no such worker.
    """
    ids = list(dict.fromkeys(int(i) for i in worker_ids))
    if not ids:
        raise InvalidRecordError("worker_ids: choose at least one worker")
    if len(ids) > MAX_BULK:
        raise InvalidRecordError(f"worker_ids: at most {MAX_BULK} workers at once")
    if status not in PIPELINE_ORDER:
        raise InvalidRecordError(f"status: one of {', '.join(PIPELINE_ORDER)}")
    why = clean_reason(status, reason)
    out = []
    for wid in ids:
        before = status_of(session, job.id, wid)
        app, created = record_outcome(session, job, wid, status, may_open=may_open)
        if before != app.status or created:
            session.add(PipelineStep(job_order_id=job.id, worker_id=wid, from_status=before,
                                     to_status=app.status, reason=why, username=username))
        out.append((app, created))
    session.flush()
    return out


def entries(session: Session, job_order_id: int) -> list[Entry]:
    """Return the job order's pipeline, by step (shortlisted, selected, deployed, rejected)."""
    rows = session.execute(
        select(Application.worker_id, Worker.full_name, Worker.district, Application.status)
        .join(Worker, Worker.id == Application.worker_id)
        .where(Application.job_order_id == job_order_id,
               Application.status.in_(PIPELINE_ORDER))).all()
    reasons = dict(session.execute(
        select(PipelineStep.worker_id, PipelineStep.reason)
        .where(PipelineStep.job_order_id == job_order_id, PipelineStep.to_status == REJECTED)
        .order_by(PipelineStep.id)).all())
    out = [Entry(w, name, district, st, reasons.get(w) if st == REJECTED else None)
           for w, name, district, st in rows]
    out.sort(key=lambda e: (PIPELINE_ORDER.index(e.status), e.worker_id))
    return out


def counts(items: Sequence[Entry]) -> dict[str, int]:
    """Return how many workers are at each step (every step present, zero or not)."""
    out = dict.fromkeys(PIPELINE_ORDER, 0)
    for e in items:
        out[e.status] += 1
    return out


def selected_count(items: Sequence[Entry]) -> int:
    """Return the selections that count against the headcount (selected or deployed)."""
    return sum(1 for e in items if e.status in (SELECTED, DEPLOYED))


def shortlist_rows(session: Session, job: JobOrder) -> list[list[object]]:
    """Return the job order's chosen workers as CSV rows (header first), identity included.

    Only workers shortlisted or further appear: their identity numbers are the agency's to
    process for this job order.
    """
    rows: list[list[object]] = [["job_order_id", "worker_id", "full_name", "status", "district",
                                 "phone", "passport_number", "passport_expiry", "ntvqf_level"]]
    q = (select(Worker, Application.status).join(Application, Application.worker_id == Worker.id)
         .where(Application.job_order_id == job.id, Application.status.in_(CHOSEN))
         .order_by(Worker.id))
    for w, st in session.execute(q).all():
        rows.append([job.id, w.id, w.full_name, st, w.district or "", w.phone or "",
                     w.passport_number or "",
                     w.passport_expiry.isoformat() if w.passport_expiry else "", w.ntvqf_level])
    return rows


__all__ = ["CHOSEN", "MAX_BULK", "ConflictError", "Entry", "PipelineStep", "counts", "entries",
           "is_chosen", "move", "selected_count", "shortlist_rows", "status_of"]
