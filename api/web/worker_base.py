"""What every worker page shares: the signed-in worker, the official helplines, the nav, and
the worker's own stylesheet and script (files, so the CSP needs no inline code)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel import Locale
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from api.deps import CurrentUser
from api.i18n.render import render
from api.serializers import eligible_jobs_out
from api.web.common import need
from indexer.ranking import rank_jobs_for_worker
from registry import portal, service
from registry.models import JobOrder, Worker

router = APIRouter(include_in_schema=False)
NAV = (("/worker", "jobs"), ("/worker/profile", "profile"), ("/worker/reports", "reports"),
       ("/worker/report-fee", "fee"), ("/worker/complain", "complain"))


def signed_in_worker(request: Request, settings, session) -> tuple[CurrentUser, Worker]:  # type: ignore[no-untyped-def]
    """The signed-in worker and their record (a 401/403 page otherwise)."""
    user = need(request, settings, session, "worker")
    if user.worker_id is None:
        raise HTTPException(404, "this account has no worker profile")
    return user, service.get(session, Worker, user.worker_id)


def language_name(name: str, lang: str) -> tuple[str, str]:
    """A language's name (stored in English) in the page's language where CLDR has it."""
    if lang == "en":
        return name, "en"
    code = {n: c for c, n in Locale("en").languages.items() if "_" not in c}.get(name)
    local = Locale.parse(lang).languages.get(code) if code else None
    return (local, lang) if local else (name, "en")


def worker_render(request: Request, session, user: CurrentUser, name: str,  # type: ignore[no-untyped-def]
                  context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render a worker page with the nav and the helplines."""
    here = request.url.path
    return render(request, name, {"helplines": portal.helplines(session), "worker_nav": NAV,
                                  "here": here, "language_name": language_name, **context},
                  user=user, status_code=status_code)


def jobs_for(session, ix, settings, w: Worker, limit: int = 15) -> dict:  # type: ignore[no-untyped-def]
    """The worker's eligible and almost-eligible jobs, shaped as GET /api/v1/me/eligible-jobs."""
    today = dt.date.today()
    result = rank_jobs_for_worker(ix, w, today=today, limit=limit, session=session)
    jobs = eligible_jobs_out(result, ix.taxonomy, settings.data_dir, today).model_dump(
        mode="json", exclude_unset=True)
    add_occupations(session, ix, jobs["items"] + jobs["not_eligible"])
    return jobs


def add_occupations(session, ix, items: list[dict]) -> None:  # type: ignore[no-untyped-def]
    """Add each job's ESCO occupation label (the page names the job in the worker's language)."""
    ids = [j["job_order_id"] for j in items]
    uris = dict(session.execute(select(JobOrder.id, JobOrder.occupation_uri)
                                .where(JobOrder.id.in_(ids))).all()) if ids else {}
    for j in items:
        occ = ix.taxonomy.occupations.get(uris.get(j["job_order_id"]) or "")
        j["occupation_label"] = occ.label if occ else None

