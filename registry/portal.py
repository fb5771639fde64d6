"""What the worker's portal reads besides the records: dated exchange rates, official
helplines, a job order as a worker sees it, and how complete a profile is.

Rates and helplines are admin-maintained tables (migration 0007), each row with its source.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher import eligibility
from matcher.inputs import job_facts, worker_facts
from registry.compliance import CostCeiling, cost_ceilings, job_is_matchable
from registry.models import ExchangeRate, ExpressionOfInterest, Helpline, JobOrder, Worker
from registry.service import NotFoundError, get

# What a complete profile has (the fields a worker or an officer can fill), with their weight
# in the completeness figure: the ones the eligibility rules read count double.
PROFILE_PARTS: dict[str, int] = {
    "phone": 1, "district": 1, "languages": 2, "skills": 2, "self_description": 2,
    "experience": 1, "passport_expiry": 2, "medical_fit": 2, "bmet_registration": 2,
    "ntvqf_level": 1, "consent": 2,
}


@dataclass(frozen=True, slots=True)
class TakaWage:
    """A wage converted to taka with the rate's date and source."""

    amount_bdt: float
    rate: float
    rate_date: dt.date
    source: str


def latest_rate(session: Session, currency: str, on: dt.date | None = None) -> ExchangeRate | None:
    """The newest rate for ``currency`` dated on or before ``on`` (today by default)."""
    on = on or dt.date.today()
    return session.scalar(select(ExchangeRate).where(
        ExchangeRate.currency == currency.upper(), ExchangeRate.rate_date <= on)
        .order_by(ExchangeRate.rate_date.desc()).limit(1))


def wage_in_taka(session: Session, amount: float | None, currency: str | None,
                 on: dt.date | None = None) -> TakaWage | None:
    """A monthly wage in taka at the newest dated rate, or None (no wage or no rate)."""
    if amount is None or not currency:
        return None
    if currency.upper() == "BDT":
        return TakaWage(amount, 1.0, on or dt.date.today(), "taka")
    rate = latest_rate(session, currency, on)
    if rate is None:
        return None
    return TakaWage(round(amount * rate.bdt_per_unit), rate.bdt_per_unit, rate.rate_date,
                    rate.source)


def helplines(session: Session) -> list[Helpline]:
    """The official helplines, in the admin's order."""
    return list(session.scalars(select(Helpline).order_by(Helpline.id)))


@dataclass(slots=True)
class WorkerJob:
    """A job order as a worker sees it: the facts, the rules they fail, the legal ceiling, the
    wage in taka, and their interest (if any)."""

    job: JobOrder
    matchable: bool
    failures: list[eligibility.Failure]
    ceiling: CostCeiling | None
    taka: TakaWage | None
    interest: ExpressionOfInterest | None


def job_for_worker(session: Session, worker_id: int, job_order_id: int, data_dir: Path,
                   today: dt.date) -> WorkerJob:
    """The job order ``job_order_id`` for worker ``worker_id``.

    A worker sees a job order that is open to workers (verified, in date, agency licensed) or
    one they have expressed interest in; any other is NotFoundError (drafts stay private).
    """
    w = get(session, Worker, worker_id)
    job = session.get(JobOrder, job_order_id)
    if job is None:
        raise NotFoundError(f"job order {job_order_id} not found")
    interest = session.scalar(select(ExpressionOfInterest).where(
        ExpressionOfInterest.worker_id == worker_id,
        ExpressionOfInterest.job_order_id == job_order_id))
    matchable = job_is_matchable(job, today)
    if not matchable and interest is None:
        raise NotFoundError(f"job order {job_order_id} not found")
    return WorkerJob(job=job, matchable=matchable,
                     failures=eligibility.check(worker_facts(w), job_facts(job)),
                     ceiling=cost_ceilings(Path(data_dir)).get(job.destination),
                     taka=wage_in_taka(session, job.wage_amount, job.wage_currency, today),
                     interest=interest)


def withdraw_interest_in(session: Session, worker_id: int, job_order_id: int,
                         now: dt.datetime) -> ExpressionOfInterest:
    """The worker withdraws their interest in a job order (``registry.reports``' rule)."""
    from registry.reports import withdraw_interest

    row = session.scalar(select(ExpressionOfInterest.id).where(
        ExpressionOfInterest.worker_id == worker_id,
        ExpressionOfInterest.job_order_id == job_order_id))
    if row is None:
        raise NotFoundError(f"job_order_id: you have no interest in job order {job_order_id}")
    return withdraw_interest(session, row, worker_id, now)


def completeness(w: Worker) -> tuple[int, list[str]]:
    """How complete a profile is (0–100) and the parts still empty, heaviest first."""
    missing = [part for part in PROFILE_PARTS if not getattr(w, part)]
    total = sum(PROFILE_PARTS.values())
    have = total - sum(PROFILE_PARTS[p] for p in missing)
    return round(100 * have / total), sorted(missing, key=lambda p: -PROFILE_PARTS[p])


def set_rate(session: Session, currency: str, bdt_per_unit: float, rate_date: dt.date,
             source: str) -> ExchangeRate:
    """Record (or correct) the taka rate of ``currency`` on ``rate_date`` (the admin's step)."""
    from registry.service import InvalidRecordError

    if not (len(currency) == 3 and currency.isalpha() and 0 < bdt_per_unit < 100_000
            and 3 <= len(source.strip()) <= 200):
        raise InvalidRecordError("rate: a 3-letter currency, 0 < taka per unit < 100,000, and "
                                 "a source of 3 to 200 characters")
    row = session.scalar(select(ExchangeRate).where(ExchangeRate.currency == currency.upper(),
                                                    ExchangeRate.rate_date == rate_date))
    if row is None:
        row = ExchangeRate(currency=currency.upper(), rate_date=rate_date, bdt_per_unit=0.0,
                           source="")
        session.add(row)
    row.bdt_per_unit, row.source = float(bdt_per_unit), source.strip()
    session.flush()
    return row


def add_helpline(session: Session, name: str, number: str, source: str, checked_on: dt.date,
                 name_bn: str | None = None) -> Helpline:
    """Add an official helpline with the source it was read from (the admin's step)."""
    from registry.service import InvalidRecordError

    if not (name.strip() and number.strip() and len(number) <= 40 and len(name) <= 200
            and 3 <= len(source.strip()) <= 300):
        raise InvalidRecordError("helpline: a name, a number (at most 40 characters) and the "
                                 "source it was read from are required")
    row = Helpline(name=name.strip(), name_bn=name_bn, number=number.strip(),
                   source=source.strip(), checked_on=checked_on)
    session.add(row)
    session.flush()
    return row
