"""Job-order pages of the demand lifecycle: the admin creates a draft; its agency (an officer
or the admin) submits it with the demand letter or closes it; everyone allowed sees its status,
why it is not matchable and its history. Same services as the API (registry.demand, through
api.routes.demand); ministry staff decide in the queue (api.web.admin)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import func, or_, select

from api.access import visible_job
from api.deps import CurrentUser, IdPath, IndexerDep, SessionDep, SettingsDep
from api.i18n.names import JOB_STATUSES
from api.i18n.render import render
from api.routes.demand import actor_of, history_of, now, submit_job
from api.web.admin_forms import listing
from api.web.common import need
from api.writes import Writes
from registry import accounts, demand, letters, service
from registry.models import Agency, Employer, JobOrder
from registry.schemas import JobOrderIn
from registry.vocab import JOB_CLOSED, JOB_TRANSITIONS

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}
AGENCY_ROLES = ("officer", "admin")
READERS = ("officer", "auditor", "ministry", "admin")


def _list_page(request: Request, session: SessionDep, user: CurrentUser, error: str | None,
               status_code: int = 200) -> HTMLResponse:
    found = listing(request, session, select(JobOrder), (JobOrder.id.desc(),),
                    lambda stmt, q: stmt.where(or_(
                        func.lower(JobOrder.title).like(f"%{q.lower()}%"),
                        func.lower(JobOrder.destination).like(f"%{q.lower()}%"))))
    return render(request, "admin_jobs.html", {
        "found": found, "status_of": demand.effective_status, "names": JOB_STATUSES,
        "agencies": list(session.scalars(select(Agency).order_by(Agency.name))),
        "employers": list(session.scalars(select(Employer).order_by(Employer.name).limit(500))),
        "error": error}, user=user, status_code=status_code, headers=NO_STORE)


@router.get("/admin/job-orders", response_class=HTMLResponse)
def jobs_page(request: Request, settings: SettingsDep, session: SessionDep):  # type: ignore[no-untyped-def]
    """The latest job orders with their lifecycle status; a form to add a draft."""
    return _list_page(request, session, need(request, settings, session, "admin"), None)


@router.post("/admin/job-orders", response_model=None)
def create_job(request: Request, settings: SettingsDep, session: SessionDep, ix: IndexerDep,
               agency_id: Annotated[str, Form(max_length=12)] = "",
               employer_id: Annotated[str, Form(max_length=12)] = "",
               title: Annotated[str, Form(max_length=200)] = "",
               destination: Annotated[str, Form(max_length=80)] = "",
               headcount: Annotated[str, Form(max_length=7)] = "1",
               wage_amount: Annotated[str, Form(max_length=14)] = "",
               wage_currency: Annotated[str, Form(max_length=3)] = "",
               deadline: Annotated[str, Form(max_length=10)] = ""):  # type: ignore[no-untyped-def]
    """Add a draft job order (the API's JobOrderIn rules)."""
    user = need(request, settings, session, "admin")
    values = {"agency_id": agency_id, "employer_id": employer_id, "title": title,
              "destination": destination, "headcount": headcount or "1",
              "wage_amount": wage_amount or None, "wage_currency": wage_currency or None,
              "deadline": deadline}
    try:
        body = JobOrderIn.model_validate(values)
    except ValidationError as exc:
        e = exc.errors()[0]
        return _list_page(request, session, user,
                          f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}", 422)

    def work() -> int:
        job = service.create(session, JobOrder, body)
        accounts.record_change(session, accounts.Who(user.username, user.role), "create",
                               "job_order", job.id, body.model_dump(mode="json"))
        return int(job.id)

    try:
        job_id = Writes(session, ix).run(work)
    except (ValueError, LookupError) as exc:
        session.rollback()
        return _list_page(request, session, user, str(exc), 422)
    return RedirectResponse(f"/demand/jobs/{job_id}", status_code=303)


def _job_page(request: Request, session: SessionDep, user: CurrentUser, job_order_id: int,
              error: str | None, status_code: int = 200) -> HTMLResponse:
    job = visible_job(session, user, job_order_id)
    return render(request, "demand_job.html", {
        "job": job, "h": history_of(session, job, dt.date.today()), "error": error,
        "reasons": demand.not_matchable_reasons(job, dt.date.today()),
        "may_submit": user.role in AGENCY_ROLES and job.status in ("draft", "rejected"),
        "may_close": user.role in AGENCY_ROLES and JOB_CLOSED in JOB_TRANSITIONS[job.status],
        "names": JOB_STATUSES,
        "max_mib": letters.MAX_LETTER_BYTES // (1024 * 1024)},
        user=user, status_code=status_code, headers=NO_STORE)


@router.get("/demand/jobs/{job_order_id}", response_class=HTMLResponse)
def job_page(job_order_id: IdPath, request: Request, settings: SettingsDep,
             session: SessionDep):  # type: ignore[no-untyped-def]
    """A job order's demand: status, why it is not matchable, its letter, its history."""
    user = need(request, settings, session, *READERS)
    return _job_page(request, session, user, job_order_id, None)


@router.post("/demand/jobs/{job_order_id}/submit", response_model=None)
def submit_page(job_order_id: IdPath, request: Request, settings: SettingsDep,
                session: SessionDep, ix: IndexerDep,
                attestation_number: Annotated[str, Form(max_length=60)] = "",
                attestation_date: Annotated[str, Form(max_length=10)] = "",
                attesting_mission: Annotated[str, Form(max_length=120)] = "",
                recruitment_permission: Annotated[str, Form(max_length=40)] = "",
                demand_letter: Annotated[UploadFile | None, File()] = None):  # type: ignore[no-untyped-def]
    """Submit the job order with its demand letter (as POST /api/v1/job-orders/{id}/submit)."""
    user = need(request, settings, session, *AGENCY_ROLES)
    data = demand_letter.file.read(letters.MAX_LETTER_BYTES + 1) if demand_letter else b""
    fields = {"attestation_number": attestation_number, "attestation_date": attestation_date,
              "attesting_mission": attesting_mission,
              "recruitment_permission": recruitment_permission}
    try:
        submit_job(Writes(session, ix), user, job_order_id, data,
                   demand_letter.filename if demand_letter else None, fields, settings.var_dir)
    except (ValueError, PermissionError) as exc:
        session.rollback()
        return _job_page(request, session, user, job_order_id, str(exc), 422)
    return RedirectResponse(f"/demand/jobs/{job_order_id}", status_code=303)


@router.post("/demand/jobs/{job_order_id}/close", response_model=None)
def close_page(job_order_id: IdPath, request: Request, settings: SettingsDep,
               session: SessionDep, ix: IndexerDep,
               reason: Annotated[str, Form(max_length=4000)] = ""):  # type: ignore[no-untyped-def]
    """Close the job order (its agency)."""
    user = need(request, settings, session, *AGENCY_ROLES)
    job = visible_job(session, user, job_order_id)
    try:
        Writes(session, ix).run(lambda: demand.close(session, job.id, actor_of(user), now(),
                                                     reason))
    except (ValueError, PermissionError) as exc:
        session.rollback()
        return _job_page(request, session, user, job_order_id, str(exc), 422)
    return RedirectResponse(f"/demand/jobs/{job_order_id}", status_code=303)
