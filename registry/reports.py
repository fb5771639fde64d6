"""What workers report and ask for: fee reports, contract reports, complaints, expressions of
interest; and ministry staff moving reports and complaints on.

Each function checks the references (the agency exists, the job order belongs to it), stores
the row in the caller's transaction and returns it (flushed, with id). Illegal status steps
raise ``registry.demand.TransitionError``; someone else's record, ``ForbiddenError``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.compliance import job_is_matchable
from registry.demand import TransitionError
from registry.models import (
    Agency,
    Complaint,
    ContractReport,
    ExpressionOfInterest,
    FeeReport,
    JobOrder,
    Worker,
)
from registry.report_schemas import ComplaintIn, ContractReportIn, FeeReportIn
from registry.service import ForbiddenError, InvalidRecordError, get
from registry.vocab import COMPLAINT_TRANSITIONS, REPORT_TRANSITIONS


def _job_of_agency(session: Session, job_order_id: int, agency_id: int) -> JobOrder:
    job = get(session, JobOrder, job_order_id)
    if job.agency_id != agency_id:
        raise InvalidRecordError(f"job_order_id: job order {job.id} is not agency "
                                 f"{agency_id}'s (it is agency {job.agency_id}'s)")
    return job


def report_fee(session: Session, worker_id: int, data: FeeReportIn,
               now: dt.datetime) -> FeeReport:
    """Store a fee a worker reports paying."""
    get(session, Worker, worker_id)
    get(session, Agency, data.agency_id)
    if data.job_order_id is not None:
        _job_of_agency(session, data.job_order_id, data.agency_id)
    if data.paid_on > now.date():
        raise InvalidRecordError("paid_on: cannot be in the future")
    row = FeeReport(worker_id=worker_id, agency_id=data.agency_id,
                    job_order_id=data.job_order_id, amount_bdt=float(data.amount_bdt),
                    purpose=data.purpose, note=data.note, paid_on=data.paid_on,
                    status="received", created_at=now)
    session.add(row)
    session.flush()
    return row


def report_contract(session: Session, worker_id: int, data: ContractReportIn,
                    now: dt.datetime) -> ContractReport:
    """Store what a worker's actual contract gives, for the job order they went on."""
    get(session, Worker, worker_id)
    job = get(session, JobOrder, data.job_order_id)
    if data.wage_amount is not None and not data.wage_currency:
        raise InvalidRecordError("wage_currency: say the wage's currency")
    row = ContractReport(worker_id=worker_id, agency_id=job.agency_id, job_order_id=job.id,
                         wage_amount=data.wage_amount, wage_currency=data.wage_currency,
                         contract_months=data.contract_months, job_title=data.job_title,
                         other_terms=data.other_terms, status="received", created_at=now)
    session.add(row)
    session.flush()
    return row


def review_report(session: Session, model: type[FeeReport] | type[ContractReport],
                  report_id: int, to: str, note: str,
                  now: dt.datetime) -> FeeReport | ContractReport:
    """Move a fee or contract report on (received → under_review → substantiated | ...)."""
    row = get(session, model, report_id)
    allowed = REPORT_TRANSITIONS.get(row.status, frozenset())
    if to not in allowed:
        raise TransitionError(f"status: report {row.id} is {row.status}; it cannot become {to}")
    row.status = to
    if isinstance(row, FeeReport):
        row.status_note = note or None
        row.status_changed_at = now
    session.flush()
    return row


def file_complaint(session: Session, worker_id: int | None, data: ComplaintIn,
                   now: dt.datetime) -> Complaint:
    """Store a complaint against an agency (open)."""
    if worker_id is not None:
        get(session, Worker, worker_id)
    get(session, Agency, data.agency_id)
    row = Complaint(agency_id=data.agency_id, worker_id=worker_id, category=data.category,
                    text=data.text, status="open", version=1, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    return row


def move_complaint(session: Session, complaint_id: int, to: str, note: str,
                   now: dt.datetime) -> Complaint:
    """Acknowledge, resolve or dismiss a complaint; the step's time is kept on the row."""
    row = get(session, Complaint, complaint_id)
    allowed = COMPLAINT_TRANSITIONS.get(row.status, frozenset())
    if to not in allowed:
        raise TransitionError(f"status: complaint {row.id} is {row.status}; it cannot become "
                              f"{to}")
    if to in ("resolved", "dismissed") and not note.strip():
        raise InvalidRecordError(f"note: say why the complaint is {to}")
    row.status = to
    setattr(row, f"{to}_at", now)
    if to != "acknowledged" and row.acknowledged_at is None:
        row.acknowledged_at = now
    row.status_note = note.strip() or row.status_note
    row.version = (row.version or 1) + 1
    row.updated_at = now
    session.flush()
    return row


def express_interest(session: Session, worker_id: int, job_order_id: int,
                     now: dt.datetime) -> tuple[ExpressionOfInterest, bool]:
    """Record a worker's interest in a matchable job order; return (row, created).

    Expressing interest again after withdrawing re-activates the same row.
    """
    get(session, Worker, worker_id)
    job = get(session, JobOrder, job_order_id)
    if not job_is_matchable(job, now.date()):
        raise InvalidRecordError(f"job_order_id: job order {job.id} is not open to workers "
                                 "(it must be verified, in date, and its agency licensed)")
    row = session.scalar(select(ExpressionOfInterest).where(
        ExpressionOfInterest.worker_id == worker_id,
        ExpressionOfInterest.job_order_id == job_order_id))
    if row is None:
        row = ExpressionOfInterest(worker_id=worker_id, job_order_id=job_order_id,
                                   status="active", created_at=now)
        session.add(row)
        session.flush()
        return row, True
    if row.status == "withdrawn":
        row.status, row.created_at, row.withdrawn_at = "active", now, None
        session.flush()
    return row, False


def withdraw_interest(session: Session, interest_id: int, worker_id: int,
                      now: dt.datetime) -> ExpressionOfInterest:
    """The worker withdraws their own interest (idempotent)."""
    row = get(session, ExpressionOfInterest, interest_id)
    if row.worker_id != worker_id:
        raise ForbiddenError(f"interest {interest_id} is another worker's")
    if row.status != "withdrawn":
        row.status, row.withdrawn_at = "withdrawn", now
        session.flush()
    return row


def interests_for_job(session: Session, job_order_id: int) -> list[ExpressionOfInterest]:
    """Active expressions of interest in a job order, oldest first (the officer's view)."""
    return list(session.scalars(select(ExpressionOfInterest).where(
        ExpressionOfInterest.job_order_id == job_order_id,
        ExpressionOfInterest.status == "active").order_by(ExpressionOfInterest.created_at,
                                                          ExpressionOfInterest.id)))


def worker_reports(session: Session, worker_id: int) -> dict[str, list]:
    """A worker's own fee reports, contract reports, complaints and interests (newest first)."""
    return {
        "fee_reports": list(session.scalars(select(FeeReport).where(
            FeeReport.worker_id == worker_id).order_by(FeeReport.id.desc()))),
        "contract_reports": list(session.scalars(select(ContractReport).where(
            ContractReport.worker_id == worker_id).order_by(ContractReport.id.desc()))),
        "complaints": list(session.scalars(select(Complaint).where(
            Complaint.worker_id == worker_id).order_by(Complaint.id.desc()))),
        "interests": list(session.scalars(select(ExpressionOfInterest).where(
            ExpressionOfInterest.worker_id == worker_id)
            .order_by(ExpressionOfInterest.id.desc()))),
    }
