"""The recruiting officer's pages: job orders and ranked candidates."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from api.deps import IdPath, IndexerDep, SessionDep, SettingsDep
from api.i18n.render import render
from api.web.common import need
from api.writes import Writes
from indexer.ranking import rank_workers_for_job
from registry import service
from registry.compliance import job_is_matchable
from registry.models import JobOrder, Worker

router = APIRouter(include_in_schema=False)


@router.get("/officer", response_class=HTMLResponse)
def officer(request: Request, settings: SettingsDep, session: SessionDep):  # type: ignore[no-untyped-def]
    """The officer's verified job orders."""
    user = need(request, settings, session, "officer", "admin")
    today = dt.date.today()
    q = select(JobOrder).order_by(JobOrder.deadline)
    if user.role == "officer":
        q = q.where(JobOrder.agency_id == (user.agency_id or -1))
    jobs = [(j, job_is_matchable(j, today)) for j in session.scalars(q.limit(200))]
    return render(request, "officer.html", {"jobs": jobs}, user=user)


@router.get("/officer/jobs/{job_order_id}", response_class=HTMLResponse)
def officer_job(job_order_id: IdPath, request: Request, settings: SettingsDep,
                session: SessionDep, ix: IndexerDep):  # type: ignore[no-untyped-def]
    """Ranked candidates for one job order, with why each fits."""
    user = need(request, settings, session, "officer", "admin")
    job = service.get(session, JobOrder, job_order_id)
    if user.role == "officer" and job.agency_id != user.agency_id:
        raise HTTPException(404, f"job_order {job_order_id} not found")
    result = None
    if job_is_matchable(job, dt.date.today()):
        result = rank_workers_for_job(ix, job, limit=25)
        Writes(session, ix).log_view(user, "rank_candidates", [m.id for m in result.items],
                                     job.id)
    names = {}
    if result:
        ids = [m.id for m in result.items]
        names = dict(session.execute(select(Worker.id, Worker.full_name)
                                     .where(Worker.id.in_(ids))).all())
    return render(request, "candidates.html", {
        "job": job, "result": result, "names": names, "tax": ix.taxonomy}, user=user)
