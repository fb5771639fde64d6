"""The recruiting officer's pages: job orders (search, filters, counts) and one job order.

The candidate lists, the candidate's page and the pipeline are in ``officer_candidates``,
``officer_worker`` and ``officer_pipeline``; their routers are included here, so
``api.web`` registers one module per audience.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.sql import Select

from api.access import visible_job
from api.deps import CurrentUser, IdPath, IndexerDep, SessionDep, SettingsDep
from api.i18n.render import render
from api.web import officer_pipeline, officer_worker
from api.web.common import need
from api.web.officer_candidates import CandidateFilters, candidate_page, filters_dep
from registry import pipeline
from registry.compliance import job_is_matchable
from registry.demand import not_matchable_reasons
from registry.models import JobOrder, Worker
from registry.reports import interests_for_job
from registry.service import InvalidRecordError
from registry.vocab import JOB_LIFECYCLE_STATUSES

router = APIRouter(include_in_schema=False)
router.include_router(officer_worker.router)
router.include_router(officer_pipeline.router)
PAGE_SIZE = 25
SORTS = {"deadline": JobOrder.deadline, "-deadline": JobOrder.deadline.desc(),
         "title": JobOrder.title, "-id": JobOrder.id.desc(), "id": JobOrder.id}
Sort = Literal["deadline", "-deadline", "title", "id", "-id"]
Text = Annotated[str | None, Query(max_length=100)]


def _own(user: CurrentUser, q: Select) -> Select:  # type: ignore[type-arg]
    return q.where(JobOrder.agency_id == (user.agency_id or -1)) if user.role == "officer" else q


def _date(name: str, value: str | None) -> dt.date | None:
    """Return a form's date field (empty: None), or raise InvalidRecordError naming it."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidRecordError(f"{name}: a date as YYYY-MM-DD") from None


@router.get("/officer", response_class=HTMLResponse)
def officer(request: Request, settings: SettingsDep, session: SessionDep, ix: IndexerDep,  # type: ignore[no-untyped-def]
            q: Text = None, status: Annotated[str | None, Query(max_length=12)] = None,
            destination: Annotated[str | None, Query(max_length=80)] = None,
            occupation: Annotated[str | None, Query(max_length=120)] = None,
            deadline_from: Annotated[str | None, Query(max_length=10)] = None,
            deadline_to: Annotated[str | None, Query(max_length=10)] = None,
            sort: Sort = "deadline", page: Annotated[int, Query(ge=1, le=10_000)] = 1):
    """The agency's job orders: search by title, filter, sort, page; counts per status."""
    user = need(request, settings, session, "officer", "admin")
    today = dt.date.today()
    status = status or None  # a form's "any" is no filter
    if status is not None and status not in JOB_LIFECYCLE_STATUSES:
        raise InvalidRecordError(f"status: one of {', '.join(JOB_LIFECYCLE_STATUSES)}")
    date_from, date_to = _date("deadline_from", deadline_from), _date("deadline_to", deadline_to)
    base = _own(user, select(JobOrder))
    counts = dict.fromkeys(JOB_LIFECYCLE_STATUSES, 0)
    for st, n in session.execute(_own(user, select(JobOrder.status, func.count())
                                      .group_by(JobOrder.status))).all():
        counts[st] = n
    destinations = sorted(d for d in session.scalars(
        _own(user, select(JobOrder.destination).distinct())) if d)
    uris = [u for u in session.scalars(_own(user, select(JobOrder.occupation_uri).distinct()))
            if u]
    occs = sorted(((u, ix.taxonomy.occupations[u].label if u in ix.taxonomy.occupations else u)
                   for u in uris), key=lambda p: p[1])
    if q and q.strip():
        base = base.where(func.lower(JobOrder.title).contains(q.strip().lower()))
    if status:
        base = base.where(JobOrder.status == status)
    if destination:
        base = base.where(JobOrder.destination == destination)
    if occupation:
        base = base.where(JobOrder.occupation_uri == occupation)
    if date_from:
        base = base.where(JobOrder.deadline >= date_from)
    if date_to:
        base = base.where(JobOrder.deadline <= date_to)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    rows = session.scalars(base.order_by(SORTS[sort], JobOrder.id)
                           .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    jobs = [(j, job_is_matchable(j, today)) for j in rows]
    params = {k: v for k, v in {"q": q, "status": status, "destination": destination,
                                "occupation": occupation, "deadline_from": deadline_from,
                                "deadline_to": deadline_to, "sort": sort}.items() if v}
    params = {k: str(v) for k, v in params.items()}
    return render(request, "officer.html", {
        "jobs": jobs, "counts": counts, "total": total, "page": page, "pages": pages,
        "params": params, "destinations": destinations, "occupations": occs,
        "statuses": JOB_LIFECYCLE_STATUSES}, user=user)


@router.get("/officer/jobs/{job_order_id}", response_class=HTMLResponse)
def officer_job(job_order_id: IdPath, request: Request, settings: SettingsDep,  # type: ignore[no-untyped-def]
                session: SessionDep, ix: IndexerDep,
                filters: Annotated[CandidateFilters, filters_dep]):
    """One job order beside its ranked candidates, its pipeline and the workers' interest."""
    user = need(request, settings, session, "officer", "admin")
    job = visible_job(session, user, job_order_id)
    today = dt.date.today()
    reasons = not_matchable_reasons(job, today)
    cands = candidate_page(session, ix, user, job, filters) if not reasons else None
    steps = pipeline.entries(session, job.id)
    interests = interests_for_job(session, job.id)
    names = dict(session.execute(select(Worker.id, Worker.full_name).where(
        Worker.id.in_([i.worker_id for i in interests]))).all()) if interests else {}
    occ = ix.taxonomy.occupations.get(job.occupation_uri or "")
    return render(request, "candidates.html", {
        "job": job, "reasons": reasons, "c": cands, "f": filters, "tax": ix.taxonomy,
        "occupation_label": occ.label if occ else None, "steps": steps,
        "step_counts": pipeline.counts(steps), "selected": pipeline.selected_count(steps),
        "interests": interests, "interest_names": names,
        "status_of": {e.worker_id: e.status for e in steps}}, user=user)
