"""The ministry auditor's pages (auditor and admin): agencies ranked by risk with filters and the
score's parts; an agency's findings with evidence, charts and job-order history; one piece of
evidence; the access log with filters and its CSV. The same services as ``api.routes.audit``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import inspect as sa_inspect

from api import audit_charts, audit_views
from api.deps import IdPath, SessionDep, SettingsDep
from api.i18n.render import render
from api.routes.audit import LICENCE_PATTERN, SORT_PATTERN, agency_rows
from api.web.common import need
from registry import service
from registry.audit import RISK_LEVELS, access_log_query, access_log_rows
from registry.audit_rules.overview import audit_agency
from registry.audit_rules.score import WEIGHTS
from registry.models import (
    AccessLog,
    Application,
    Complaint,
    ContractReport,
    Employer,
    FeeReport,
    JobOrder,
    JobOrderTransition,
)
from registry.vocab import COMPLAINT_STATUSES, MAX_ID

router = APIRouter(include_in_schema=False)
STAFF = ("auditor", "admin")
EVIDENCE_MODELS: dict[str, type] = {
    "fee_report": FeeReport, "contract_report": ContractReport, "complaint": Complaint,
    "application": Application, "transition": JobOrderTransition, "access_log": AccessLog,
    "employer": Employer}
# Columns never shown on an evidence page (contact details stay in the registry).
HIDDEN = frozenset({"phone", "nid_number", "password_hash", "version"})


def _clean(value: str | None) -> str | None:
    return value.strip() or None if value else None


@router.get("/auditor", response_class=HTMLResponse)
def auditor_page(request: Request, settings: SettingsDep, session: SessionDep,  # type: ignore[no-untyped-def]
                 risk: Annotated[str | None, Query(max_length=10)] = None,
                 flag: Annotated[str | None, Query(max_length=60)] = None,
                 licence: Annotated[str | None, Query(max_length=10)] = None,
                 district: Annotated[str | None, Query(max_length=60)] = None,
                 q: Annotated[str | None, Query(max_length=100)] = None,
                 sort: Annotated[str, Query(pattern=SORT_PATTERN)] = "risk"):
    """Agencies, riskiest first: filters, search, the score's parts, CSV export."""
    user = need(request, settings, session, *STAFF)
    chosen: dict[str, Any] = {"risk": _clean(risk) if risk in RISK_LEVELS else None,
              "flag": _clean(flag) if flag in WEIGHTS else None,
              "licence": licence if licence and re.fullmatch(LICENCE_PATTERN, licence) else None,
              "district": _clean(district), "q": _clean(q), "sort": sort}
    everything = agency_rows(session, settings)
    rows = agency_rows(session, settings, **chosen)
    query = urlencode({k: v for k, v in chosen.items() if v and not (k == "sort" and v == "risk")})
    return render(request, "auditor.html", {
        "rows": rows, "total": len(everything), "chosen": chosen,
        "districts": sorted({r["district"] for r in everything if r["district"]}),
        "flags": list(WEIGHTS), "levels": RISK_LEVELS,
        "csv_href": "/api/v1/audit/agencies?" + urlencode(
            {**{k: v for k, v in chosen.items() if v}, "format": "csv"}),
        "query": query, "max_score": max((r["risk_score"] for r in everything), default=0) or 1,
    }, user=user)


def _detail(session: Any, settings: Any, agency_id: int) -> dict[str, Any]:
    try:
        return audit_views.with_links(audit_agency(session, settings.data_dir, agency_id,
                                                   dt.date.today()))
    except service.NotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc


@router.get("/auditor/agencies/{agency_id}", response_class=HTMLResponse)
def agency_page(agency_id: IdPath, request: Request, settings: SettingsDep,  # type: ignore[no-untyped-def]
                session: SessionDep):
    """One agency: its findings with evidence, charts, job orders with their history."""
    user = need(request, settings, session, *STAFF)
    detail = _detail(session, settings, agency_id)
    return render(request, "audit_agency.html", {
        "a": detail, "charts": audit_charts.CHARTS, "statuses": COMPLAINT_STATUSES,
        "catalogue": {r["rule"]: r for r in audit_views.catalogue()}}, user=user)


@router.get("/auditor/agencies/{agency_id}/chart.svg")
def agency_chart(agency_id: IdPath, request: Request, settings: SettingsDep,
                 session: SessionDep,
                 name: Annotated[str, Query(pattern="^(" + "|".join(audit_charts.CHARTS) + ")$")]
                 = "fees") -> Response:
    """One of the agency's charts as an SVG image (drawn on the server by matplotlib)."""
    need(request, settings, session, *STAFF)
    detail = _detail(session, settings, agency_id)
    svg = audit_charts.chart(name, detail["charts"], COMPLAINT_STATUSES)
    # An SVG image runs no script; matplotlib styles its shapes inline, which this response
    # alone allows (the pages' own CSP is unchanged).
    return Response(svg, media_type="image/svg+xml", headers={
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})


@router.get("/auditor/evidence", response_class=HTMLResponse)
def evidence_page(request: Request, settings: SettingsDep, session: SessionDep,  # type: ignore[no-untyped-def]
                  kind: Annotated[str | None, Query(max_length=20)] = None,
                  id: Annotated[str | None, Query(max_length=12)] = None):  # noqa: A002
    """One registry row a finding rests on: its facts, and the agency page to go back to."""
    user = need(request, settings, session, *STAFF)  # sign-in first, then the parameters
    if kind not in EVIDENCE_MODELS:
        raise HTTPException(422, f"kind: one of {', '.join(EVIDENCE_MODELS)}")
    if not id or not id.isdigit() or not 1 <= int(id) <= MAX_ID:
        raise HTTPException(422, "id: a record number")
    row_id = int(id)
    try:
        row = service.get(session, EVIDENCE_MODELS[kind], row_id)
    except service.NotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    facts = [(c.key, getattr(row, c.key)) for c in sa_inspect(row).mapper.column_attrs
             if c.key not in HIDDEN]
    agency_id = getattr(row, "agency_id", None)
    job_id = getattr(row, "job_order_id", None)
    if agency_id is None and job_id is not None:
        job = session.get(JobOrder, job_id)
        agency_id = job.agency_id if job else None
    return render(request, "audit_evidence.html", {
        "kind": kind, "row_id": row_id, "facts": facts, "agency_id": agency_id,
        "job_id": job_id}, user=user)


@router.get("/auditor/access-log", response_class=HTMLResponse)
def access_log_page(request: Request, settings: SettingsDep, session: SessionDep,  # type: ignore[no-untyped-def]
                    username: Annotated[str | None, Query(max_length=80)] = None,
                    worker_id: Annotated[str | None, Query(max_length=12)] = None,
                    agency_id: Annotated[str | None, Query(max_length=12)] = None,
                    since: Annotated[str | None, Query(max_length=10)] = None,
                    until: Annotated[str | None, Query(max_length=10)] = None):
    """Who (name and role) looked at which worker, when, for which job order; filters; CSV."""
    user = need(request, settings, session, *STAFF)
    errors: list[str] = []
    filters: dict[str, Any] = {"username": _clean(username)}
    for key, raw in (("worker_id", worker_id), ("agency_id", agency_id)):
        value = _clean(raw)
        if value and (not value.isdigit() or not 1 <= int(value) <= MAX_ID):
            errors.append(key)
        filters[key] = int(value) if value and key not in errors else None
    for key, raw in (("since", since), ("until", until)):
        value = _clean(raw)
        try:
            filters[key] = dt.date.fromisoformat(value) if value else None
        except ValueError:
            errors.append(key)
            filters[key] = None
    rows = access_log_rows(session, access_log_query(**filters), 500)
    shown = {k: v for k, v in filters.items() if v is not None}
    return render(request, "audit_access_log.html", {
        "rows": rows, "filters": filters, "errors": errors,
        "raw": {"username": username or "", "worker_id": worker_id or "",
                "agency_id": agency_id or "", "since": since or "", "until": until or ""},
        "csv_href": "/api/v1/audit/access-log?" + urlencode(
            {**{k: str(v) for k, v in shown.items()}, "limit": 10000, "format": "csv"}),
    }, user=user, status_code=422 if errors else 200)
