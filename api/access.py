"""Who may see which worker: the data-protection rules the routes and pages share.

An officer works for one agency and sees a worker only as
- an applicant to one of the agency's job orders (an application row exists), or
- a consenting worker who is eligible for one of the agency's matchable job orders (a candidate
  the officer could have been shown in a ranked list).
Admins and auditors see every profile (auditors without identity numbers); a worker sees their
own. Every profile read is written to the access log.

A record the user may not see answers "not found" (``NotFoundError``, 404), so that other
agencies' records do not leak their existence; a worker asking for another worker's profile is
refused (``ForbiddenError``, 403). ``api.errors`` maps these to statuses.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import CurrentUser
from matcher import eligibility
from matcher.inputs import job_facts, worker_facts
from registry import service
from registry.compliance import job_is_matchable
from registry.models import Application, JobOrder, Worker
from registry.service import ForbiddenError, NotFoundError
from registry.vocab import JOB_VERIFIED


def is_applicant(session: Session, agency_id: int | None, worker_id: int) -> bool:
    """Return whether the worker has an application with one of the agency's job orders."""
    if agency_id is None:
        return False
    return session.scalar(
        select(Application.id).join(JobOrder, JobOrder.id == Application.job_order_id)
        .where(Application.worker_id == worker_id, JobOrder.agency_id == agency_id).limit(1)
    ) is not None


def is_candidate(worker: Worker, job: JobOrder, today: dt.date) -> bool:
    """Return whether an active, consenting worker is eligible for a matchable job order."""
    return (worker.active is not False and bool(worker.consent) and job_is_matchable(job, today)
            and not eligibility.check(worker_facts(worker), job_facts(job)))


def agency_may_see_worker(session: Session, agency_id: int | None, worker: Worker,
                          today: dt.date) -> bool:
    """Return whether an officer of ``agency_id`` may read the worker's profile."""
    if agency_id is None:
        return False
    if is_applicant(session, agency_id, worker.id):
        return True
    if not worker.consent or worker.active is False:
        return False
    jobs = session.scalars(select(JobOrder).where(JobOrder.agency_id == agency_id,
                                                  JobOrder.status == JOB_VERIFIED,
                                                  JobOrder.deadline >= today))
    return any(is_candidate(worker, j, today) for j in jobs)


def visible_job(session: Session, user: CurrentUser, job_order_id: int) -> JobOrder:
    """Return the job order if ``user`` may see it (an officer: their agency's only).

    :raises NotFoundError: no such job order, or another agency's (existence not leaked).
    """
    job: JobOrder = service.get(session, JobOrder, job_order_id)
    if user.role == "officer" and job.agency_id != user.agency_id:
        raise NotFoundError(f"job_order {job_order_id} not found")
    return job


def visible_worker(session: Session, user: CurrentUser, worker_id: int) -> Worker:
    """Return the worker if ``user`` may see them.

    :raises ForbiddenError: a worker asking for someone else's profile.
    :raises NotFoundError: no such worker, or one an officer may not see (not leaked).
    """
    if user.role == "worker" and user.worker_id != worker_id:
        raise ForbiddenError("a worker may read only their own profile")
    w: Worker = service.get(session, Worker, worker_id)
    if user.role == "officer" and not agency_may_see_worker(session, user.agency_id, w,
                                                            dt.date.today()):
        raise NotFoundError(f"worker {worker_id} not found")
    return w


def own_worker(session: Session, user: CurrentUser) -> Worker:
    """Return the signed-in worker's own profile.

    :raises NotFoundError: the account has no worker profile.
    """
    if user.worker_id is None:
        raise NotFoundError("this account has no worker profile")
    w: Worker = service.get(session, Worker, user.worker_id)
    return w
