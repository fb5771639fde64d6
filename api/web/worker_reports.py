"""The worker reports a fee paid or files a complaint (stored at once, read by the ministry's
audit), and sees where their interests, reports and complaints stand."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select

from api.deps import SessionDep, SettingsDep
from api.i18n.problems import FormProblem, problem_of
from api.web.worker_base import signed_in_worker, worker_render
from api.writes import WritesDep
from registry import reports
from registry.compliance import cost_ceilings
from registry.models import Agency, JobOrder
from registry.report_schemas import ComplaintIn, FeeReportIn
from registry.service import InvalidRecordError, NotFoundError
from registry.vocab import COMPLAINT_CATEGORIES, FEE_PURPOSES

router = APIRouter(include_in_schema=False)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _choices(session, worker_id: int) -> dict:  # type: ignore[no-untyped-def]
    """Agencies to choose from, and the job orders the worker has seen (their interests)."""
    agencies = list(session.scalars(select(Agency).order_by(Agency.name).limit(500)))
    mine = reports.worker_reports(session, worker_id)["interests"]
    jobs = list(session.scalars(select(JobOrder).where(
        JobOrder.id.in_([i.job_order_id for i in mine])))) if mine else []
    return {"agencies": agencies, "jobs": jobs}


def _int(value: str) -> int | str | None:
    value = value.strip()
    return None if not value else int(value) if value.isdigit() and len(value) < 11 else value


def _fee_form(request, session, settings, user, w, values: dict,  # type: ignore[no-untyped-def]
              error: str | FormProblem | None = None, status_code: int = 200) -> HTMLResponse:
    job = None
    if isinstance(values.get("job_order_id"), int):
        job = session.get(JobOrder, values["job_order_id"])
    ceiling = cost_ceilings(settings.data_dir).get(job.destination) if job else None
    return worker_render(request, session, user, "worker_fee.html", {
        **_choices(session, w.id), "v": values, "error": error, "purposes": FEE_PURPOSES,
        "job": job, "ceiling": ceiling, "max_date": dt.date.today().isoformat()},
        status_code=status_code)


@router.get("/worker/report-fee", response_class=HTMLResponse)
def fee_page(request: Request, settings: SettingsDep, session: SessionDep,
             job_order_id: str = "", agency_id: str = ""):  # type: ignore[no-untyped-def]
    """The fee report form (prefilled from a job page's link)."""
    user, w = signed_in_worker(request, settings, session)
    return _fee_form(request, session, settings, user, w,
                     {"job_order_id": _int(job_order_id[:12]), "agency_id": _int(agency_id[:12]),
                      "amount_bdt": "", "purpose": "", "paid_on": "", "note": ""})


@router.post("/worker/report-fee", response_class=HTMLResponse, response_model=None)
def report_fee(request: Request, settings: SettingsDep, writes: WritesDep,
               agency_id: Annotated[str, Form(max_length=12)] = "",
               job_order_id: Annotated[str, Form(max_length=12)] = "",
               amount_bdt: Annotated[str, Form(max_length=20)] = "",
               purpose: Annotated[str, Form(max_length=30)] = "",
               paid_on: Annotated[str, Form(max_length=10)] = "",
               note: Annotated[str, Form(max_length=4000)] = ""):  # type: ignore[no-untyped-def]
    """Store the fee report at once; back to the status page (or the form, with what is wrong)."""
    session = writes.session
    user, w = signed_in_worker(request, settings, session)
    values = {"agency_id": _int(agency_id), "job_order_id": _int(job_order_id),
              "amount_bdt": amount_bdt.strip().replace(",", ""), "purpose": purpose,
              "paid_on": paid_on.strip(), "note": note.strip()}
    try:
        body = FeeReportIn.model_validate({k: v for k, v in values.items()
                                           if v not in ("", None) or k == "note"})
        row = writes.run(lambda: reports.report_fee(session, w.id, body, _now()))
    except ValidationError as exc:
        return _fee_form(request, session, settings, user, w, values,
                         problem_of(exc), 422)
    except (InvalidRecordError, NotFoundError) as exc:
        session.rollback()
        return _fee_form(request, session, settings, user, w, values, str(exc), 422)
    return RedirectResponse(f"/worker/reports?done=fee-{row.id}", status_code=303)


@router.get("/worker/complain", response_class=HTMLResponse)
def complaint_page(request: Request, settings: SettingsDep, session: SessionDep,
                   agency_id: str = ""):  # type: ignore[no-untyped-def]
    """The complaint form."""
    user, w = signed_in_worker(request, settings, session)
    return worker_render(request, session, user, "worker_complaint.html", {
        **_choices(session, w.id), "categories": COMPLAINT_CATEGORIES, "error": None,
        "v": {"agency_id": _int(agency_id[:12]), "category": "", "text": ""}})


@router.post("/worker/complain", response_class=HTMLResponse, response_model=None)
def complain(request: Request, settings: SettingsDep, writes: WritesDep,
             agency_id: Annotated[str, Form(max_length=12)] = "",
             category: Annotated[str, Form(max_length=40)] = "",
             text: Annotated[str, Form(max_length=4000)] = ""):  # type: ignore[no-untyped-def]
    """Store the complaint at once (open); back to the status page."""
    session = writes.session
    user, w = signed_in_worker(request, settings, session)
    values = {"agency_id": _int(agency_id), "category": category, "text": text.strip()}
    try:
        body = ComplaintIn.model_validate({k: v for k, v in values.items() if v not in ("", None)})
        row = writes.run(lambda: reports.file_complaint(session, w.id, body, _now()))
    except (ValidationError, InvalidRecordError, NotFoundError) as exc:
        session.rollback()
        error = (problem_of(exc) if isinstance(exc, ValidationError)
                 else str(exc))
        return worker_render(request, session, user, "worker_complaint.html", {
            **_choices(session, w.id), "categories": COMPLAINT_CATEGORIES, "error": error,
            "v": values}, status_code=422)
    return RedirectResponse(f"/worker/reports?done=complaint-{row.id}", status_code=303)


@router.get("/worker/reports", response_class=HTMLResponse)
def reports_page(request: Request, settings: SettingsDep, session: SessionDep):  # type: ignore[no-untyped-def]
    """Where the worker's interests, fee reports and complaints stand."""
    user, w = signed_in_worker(request, settings, session)
    mine = reports.worker_reports(session, w.id)
    ids = {i.job_order_id for i in mine["interests"]} | {
        f.job_order_id for f in mine["fee_reports"] if f.job_order_id}
    jobs = {j.id: j for j in session.scalars(select(JobOrder).where(JobOrder.id.in_(ids)))}
    agency_ids = {f.agency_id for f in mine["fee_reports"]} | {
        c.agency_id for c in mine["complaints"]}
    agencies = {a.id: a for a in session.scalars(select(Agency).where(Agency.id.in_(agency_ids)))}
    return worker_render(request, session, user, "worker_reports.html", {
        **mine, "jobs": jobs, "agencies": agencies, "done": request.query_params.get("done")})
