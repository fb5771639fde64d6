"""The worker's pages (Bangla first, phone first): eligible jobs, a job, interest in it.

The profile and the reports are ``worker_profile`` and ``worker_reports``; what they share is
``worker_base``. Every page works without JavaScript (forms post and redirect).
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from api.deps import IdPath, IndexerDep, SessionDep, SettingsDep
from api.serializers_worker import worker_job_out
from api.web import worker_base, worker_profile, worker_reports
from api.web.worker_base import jobs_for, signed_in_worker, worker_render
from api.writes import WritesDep
from registry import portal, reports
from registry.models import JobOrder

router = APIRouter(include_in_schema=False)
for _module in (worker_base, worker_profile, worker_reports):
    router.include_router(_module.router)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@router.get("/worker", response_class=HTMLResponse)
def worker_page(request: Request, settings: SettingsDep, session: SessionDep, ix: IndexerDep):  # type: ignore[no-untyped-def]
    """The worker's eligible jobs, cost ceilings and agency licences, in Bangla and English."""
    user, w = signed_in_worker(request, settings, session)
    return worker_render(request, session, user, "worker.html",
                         {"w": w, **jobs_for(session, ix, settings, w)})


@router.get("/worker/jobs/{job_order_id}", response_class=HTMLResponse)
def job_page(job_order_id: IdPath, request: Request, settings: SettingsDep, session: SessionDep,
             ix: IndexerDep):  # type: ignore[no-untyped-def]
    """One job: employer, wage (and in taka), contract, needs, eligibility, agency, cost rule."""
    user, w = signed_in_worker(request, settings, session)
    today = dt.date.today()
    job = worker_job_out(portal.job_for_worker(session, w.id, job_order_id, settings.data_dir,
                                               today), ix.taxonomy, today).model_dump(mode="json")
    occ = session.scalar(select(JobOrder.occupation_uri).where(JobOrder.id == job_order_id))
    o = ix.taxonomy.occupations.get(occ or "")
    job["occupation_label"] = o.label if o else None
    return worker_render(request, session, user, "worker_job.html",
                         {"j": job, "done": request.query_params.get("done")})


@router.post("/worker/jobs/{job_order_id}/interest", response_model=None)
def express_interest(job_order_id: IdPath, request: Request, settings: SettingsDep,
                     writes: WritesDep):  # type: ignore[no-untyped-def]
    """Express interest (the form on the job page); back to the job page."""
    _user, w = signed_in_worker(request, settings, writes.session)
    writes.run(lambda: reports.express_interest(writes.session, w.id, job_order_id, _now()))
    return RedirectResponse(f"/worker/jobs/{job_order_id}?done=interest", status_code=303)


@router.post("/worker/jobs/{job_order_id}/withdraw", response_model=None)
def withdraw_interest(job_order_id: IdPath, request: Request, settings: SettingsDep,
                      writes: WritesDep):  # type: ignore[no-untyped-def]
    """Withdraw the worker's interest in the job; back to the job page."""
    _user, w = signed_in_worker(request, settings, writes.session)
    writes.run(lambda: portal.withdraw_interest_in(writes.session, w.id, job_order_id, _now()))
    return RedirectResponse(f"/worker/jobs/{job_order_id}?done=withdrawn", status_code=303)
