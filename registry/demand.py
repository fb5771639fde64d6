"""The job-order demand lifecycle (issue 12): draft → submitted → verified | rejected →
expired → closed, each step a ``JobOrderTransition`` row (who, when, from, to, why).

Every function takes the acting user and an injected ``now``; it changes the job order (version
bump and outbox row, so the index follows) and writes the transition in the caller's
transaction. Illegal steps raise ``TransitionError`` (an ``InvalidRecordError``: answered 422
naming ``status``); a user who may not take the step gets ``ForbiddenError``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.compliance import Reason, licence_is_valid
from registry.compliance import not_matchable_reasons as compliance_reasons
from registry.models import JobOrder, JobOrderTransition, OutboxEvent
from registry.report_schemas import DemandLetterIn
from registry.service import ForbiddenError, InvalidRecordError, get
from registry.vocab import (
    DEMAND_AGENCY_ROLES,
    DEMAND_VERIFIER_ROLES,
    JOB_EXPIRED,
    JOB_TRANSITIONS,
    JOB_VERIFIED,
)

SYSTEM = "system"


class TransitionError(InvalidRecordError):
    """The step is not allowed from the record's current status (or its facts are missing)."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who takes a step: a username, a role, and for officers their agency."""

    username: str
    role: str
    agency_id: int | None = None


SYSTEM_ACTOR = Actor(SYSTEM, SYSTEM)


def _check_step(job: JobOrder, to: str) -> None:
    allowed = JOB_TRANSITIONS.get(job.status, frozenset())
    if to not in allowed:
        nxt = ", ".join(sorted(allowed)) or "none: it is final"
        raise TransitionError(f"status: job order {job.id} is {job.status}; it cannot become "
                              f"{to} (next steps: {nxt})")


def _check_agency_actor(job: JobOrder, actor: Actor) -> None:
    if actor.role not in DEMAND_AGENCY_ROLES:
        raise ForbiddenError(f"a {actor.role} cannot submit or close job orders")
    if actor.role == "officer" and actor.agency_id != job.agency_id:
        raise ForbiddenError(f"job order {job.id} belongs to another agency")


def _move(session: Session, job: JobOrder, to: str, actor: Actor, now: dt.datetime,
          reason: str) -> JobOrderTransition:
    row = JobOrderTransition(job_order_id=job.id, from_status=job.status, to_status=to,
                             username=actor.username[:80], role=actor.role[:10], at=now,
                             reason=reason)
    job.status = to
    job.version += 1
    session.add(row)
    session.flush()
    session.add(OutboxEvent(entity="job_order", entity_id=job.id, version=job.version,
                            op="upsert"))
    return row


def submit(session: Session, job_order_id: int, letter: DemandLetterIn, actor: Actor,
           now: dt.datetime) -> JobOrderTransition:
    """The agency submits a draft (or rejected) job order with its demand letter's facts."""
    job = get(session, JobOrder, job_order_id)
    _check_agency_actor(job, actor)
    _check_step(job, "submitted")
    if job.deadline < now.date():
        raise TransitionError(f"deadline: job order {job.id}'s deadline {job.deadline} has "
                              "passed; set a new deadline before submitting")
    for field, value in letter.model_dump().items():
        setattr(job, field, value)
    # Attested means "the mission attested it, according to the agency": ministry staff check it.
    job.demand_letter_attested = False
    return _move(session, job, "submitted", actor, now, "demand letter submitted")


def verify(session: Session, job_order_id: int, actor: Actor, now: dt.datetime,
           reason: str = "") -> JobOrderTransition:
    """Ministry staff verify a submitted job order: its letter is attested, permission given."""
    job = get(session, JobOrder, job_order_id)
    if actor.role not in DEMAND_VERIFIER_ROLES:
        raise ForbiddenError(f"only ministry staff verify demand, not a {actor.role}")
    _check_step(job, "verified")
    missing = [f for f in ("attestation_number", "attestation_date", "attesting_mission",
                           "recruitment_permission", "demand_letter_sha256")
               if not getattr(job, f)]
    if missing:
        raise TransitionError(f"{missing[0]}: job order {job.id} lacks "
                              f"{', '.join(missing)}; it cannot be verified")
    if job.deadline < now.date():
        raise TransitionError(f"deadline: job order {job.id}'s deadline {job.deadline} has passed")
    if job.agency is None or not licence_is_valid(job.agency, now.date()):
        raise TransitionError(f"agency_id: agency {job.agency_id}'s licence is not valid")
    job.demand_letter_attested = True
    return _move(session, job, "verified", actor, now, reason or "demand letter verified")


def reject(session: Session, job_order_id: int, actor: Actor, now: dt.datetime,
           reason: str) -> JobOrderTransition:
    """Ministry staff reject a submitted job order, saying why."""
    job = get(session, JobOrder, job_order_id)
    if actor.role not in DEMAND_VERIFIER_ROLES:
        raise ForbiddenError(f"only ministry staff reject demand, not a {actor.role}")
    if not reason.strip():
        raise InvalidRecordError("reason: say why the job order is rejected")
    _check_step(job, "rejected")
    return _move(session, job, "rejected", actor, now, reason.strip())


def close(session: Session, job_order_id: int, actor: Actor, now: dt.datetime,
          reason: str = "") -> JobOrderTransition:
    """The agency closes a job order (filled, cancelled, or after expiry)."""
    job = get(session, JobOrder, job_order_id)
    _check_agency_actor(job, actor)
    _check_step(job, "closed")
    return _move(session, job, "closed", actor, now, reason or "closed by the agency")


def transition(session: Session, job_order_id: int, to: str, actor: Actor, now: dt.datetime,
               reason: str = "") -> JobOrderTransition:
    """Dispatch a ``JobTransitionIn`` (verify, reject, close); submitting needs ``submit``."""
    if to == "verified":
        return verify(session, job_order_id, actor, now, reason)
    if to == "rejected":
        return reject(session, job_order_id, actor, now, reason)
    if to == "closed":
        return close(session, job_order_id, actor, now, reason)
    if to == "submitted":
        raise InvalidRecordError("status: submit a job order with its demand letter's facts")
    raise TransitionError(f"status: only the system moves a job order to {to}")


def expire_due(session: Session, today: dt.date) -> list[int]:
    """Expire verified job orders whose deadline is before ``today`` (the day after it); return
    their ids. Idempotent; each gets a transition row by ``system``."""
    now = dt.datetime.combine(today, dt.time())
    jobs = list(session.scalars(select(JobOrder).where(JobOrder.status == "verified",
                                                       JobOrder.deadline < today)
                                .order_by(JobOrder.id)))
    for job in jobs:
        _move(session, job, "expired", SYSTEM_ACTOR, now,
              f"deadline {job.deadline.isoformat()} passed")
    return [j.id for j in jobs]


def history(session: Session, job_order_id: int) -> list[JobOrderTransition]:
    """Return a job order's transitions, oldest first."""
    return list(session.scalars(select(JobOrderTransition)
                                .where(JobOrderTransition.job_order_id == job_order_id)
                                .order_by(JobOrderTransition.at, JobOrderTransition.id)))


def status_at(transitions: list[JobOrderTransition], when: dt.datetime,
              current: str) -> str | None:
    """Return the status a job order had at ``when`` from its transitions (oldest first).

    ``None`` means the order has no lifecycle history (created before it was recorded): the
    caller decides what to assume. Before the first transition the order was in its
    ``from_status`` (draft for a new order).
    """
    if not transitions:
        return None
    status = transitions[0].from_status or "draft"
    for t in transitions:
        if t.at > when:
            break
        status = t.to_status
    return status if status else current


def effective_status(job: JobOrder, today: dt.date) -> str:
    """The status as seen on ``today``: a verified order past its deadline is expired even
    before the scheduler has written it (so it never shows as verified anywhere)."""
    if job.status == JOB_VERIFIED and job.deadline < today:
        return JOB_EXPIRED
    return job.status


_WHY_STATUS = {
    "draft": "demand not verified: it is a draft; its agency has not submitted the demand "
             "letter",
    "submitted": "demand not verified yet: its demand letter awaits ministry staff",
    "rejected": "demand not verified: ministry staff rejected its demand letter",
    "expired": "its deadline has passed (expired)",
    "closed": "its agency closed it",
}


def not_matchable_reasons(job: JobOrder, today: dt.date) -> list[Reason]:
    """Why the job order cannot be matched on ``today``, each with its stable code (empty: it
    can). The lifecycle's status comes first (code ``status_<status>``), then the compliance
    reasons it does not already say."""
    status = effective_status(job, today)
    reasons = ([Reason(f"status_{status}", _WHY_STATUS[status], date=job.deadline)]
               if status in _WHY_STATUS else [])
    for r in compliance_reasons(job, today):
        if r.code == "not_verified" and reasons:
            continue  # the lifecycle sentence says it more exactly
        if r.code == "deadline_passed" and status == JOB_EXPIRED:
            continue
        reasons.append(r)
    return reasons


def why_not_matchable(job: JobOrder, today: dt.date) -> list[str]:
    """Why the job order cannot be matched on ``today``, in plain English (empty: it can)."""
    return [r.text for r in not_matchable_reasons(job, today)]
