"""The worker's pages (Bangla first, phone first)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from api.deps import IndexerDep, SessionDep, SettingsDep
from api.i18n.render import render
from api.serializers import eligible_jobs_out
from api.web.common import need
from indexer.ranking import rank_jobs_for_worker
from registry import service
from registry.models import JobOrder, Worker

router = APIRouter(include_in_schema=False)


@router.get("/worker", response_class=HTMLResponse)
def worker_page(request: Request, settings: SettingsDep, session: SessionDep, ix: IndexerDep):  # type: ignore[no-untyped-def]
    """The worker's eligible jobs, cost ceilings and agency licences, in Bangla and English."""
    user = need(request, settings, session, "worker")
    if user.worker_id is None:
        raise HTTPException(404, "this account has no worker profile")
    w = service.get(session, Worker, user.worker_id)
    today = dt.date.today()
    result = rank_jobs_for_worker(ix, w, today=today, limit=15, session=session)
    jobs = eligible_jobs_out(result, ix.taxonomy, settings.data_dir, today).model_dump(
        mode="json", exclude_unset=True)  # the same shapes as GET /api/v1/me/eligible-jobs
    _add_occupations(session, ix, jobs["items"] + jobs["not_eligible"])
    return render(request, "worker.html", {"w": w, **jobs}, user=user)


def _add_occupations(session, ix, items: list[dict]) -> None:  # type: ignore[no-untyped-def]
    """Add each job's ESCO occupation label (the page names the job in the worker's language)."""
    ids = [j["job_order_id"] for j in items]
    uris = dict(session.execute(select(JobOrder.id, JobOrder.occupation_uri)
                                .where(JobOrder.id.in_(ids))).all()) if ids else {}
    for j in items:
        occ = ix.taxonomy.occupations.get(uris.get(j["job_order_id"]) or "")
        j["occupation_label"] = occ.label if occ else None
