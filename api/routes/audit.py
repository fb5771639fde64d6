"""Ministry audit (auditor and admin): agencies with their risk score's parts (JSON or CSV), one
agency's findings with evidence (JSON or CSV), the rule catalogue, and the access log (JSON or
CSV). Everything here only reads: the access log has no route that writes, edits or deletes it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from api import audit_views as views
from api.deps import CurrentUser, IdPath, SessionDep, SettingsDep, require
from api.schemas_audit import (
    AccessLogPage,
    AgencyAuditDetail,
    AgencyAuditList,
    RuleCatalogue,
)
from registry.audit import (
    RISK_LEVELS,
    SORTS,
    access_log_query,
    access_log_rows,
    filter_agencies,
)
from registry.audit_rules.overview import audit_agencies, audit_agency
from registry.audit_rules.score import WEIGHTS
from registry.vocab import MAX_ID

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
Auditor = Annotated[CurrentUser, require("auditor", "admin")]
Format = Annotated[str, Query(pattern="^(json|csv)$", description="json, or csv to download")]
CSV_DOC = {"content": {"text/csv": {"schema": {"type": "string"}}}}
SORT_PATTERN = "^-?(" + "|".join(SORTS) + ")$"
LICENCE_PATTERN = "^(valid|expired|suspended|cancelled)$"


def _csv(text: str, filename: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


def _check_flag(flag: str | None) -> None:
    if flag is not None and flag not in WEIGHTS:
        raise HTTPException(422, f"flag: unknown rule {flag!r} (one of: {', '.join(WEIGHTS)})")


def agency_rows(session: Any, settings: Any, *, risk: str | None = None,
                flag: str | None = None, licence: str | None = None,
                district: str | None = None, q: str | None = None,
                sort: str = "risk") -> list[dict[str, Any]]:
    """Audited agencies, filtered and sorted (the page calls this too)."""
    rows = audit_agencies(session, settings.data_dir, dt.date.today())
    return filter_agencies(rows, risk=risk, flag=flag, licence=licence, district=district,
                           q=q, sort=sort)


@router.get("/agencies", response_model=None, responses={200: {
    "model": AgencyAuditList, "description": "JSON, or with ``format=csv`` a CSV download",
    **CSV_DOC}})
def agencies(session: SessionDep, settings: SettingsDep, _user: Auditor,
             risk: Annotated[str | None, Query(pattern="^(" + "|".join(RISK_LEVELS) + ")$")] = None,
             flag: Annotated[str | None, Query(max_length=60,
                                               description="a rule code")] = None,
             licence: Annotated[str | None, Query(pattern=LICENCE_PATTERN)] = None,
             district: Annotated[str | None, Query(max_length=60)] = None,
             q: Annotated[str | None, Query(max_length=100,
                                            description="name or licence number")] = None,
             sort: Annotated[str, Query(pattern=SORT_PATTERN)] = "risk",
             format: Format = "json",  # noqa: A002
             ) -> Response | AgencyAuditList:
    """Agencies with their risk score, its parts, flags and the second opinion, riskiest first
    (``sort``: risk, name, licence, district, findings, anomaly; ``-`` reverses)."""
    _check_flag(flag)
    rows = agency_rows(session, settings, risk=risk, flag=flag, licence=licence,
                       district=district, q=q, sort=sort)
    if format == "csv":
        return _csv(views.to_csv(views.AGENCY_COLUMNS, views.agency_csv_rows(rows)),
                    "agency-risk.csv")
    return AgencyAuditList.model_validate({"items": rows, "total": len(rows)})


@router.get("/agencies/{agency_id}", response_model=None, responses={200: {
    "model": AgencyAuditDetail, "description": "JSON, or with ``format=csv`` the findings",
    **CSV_DOC}})
def agency(agency_id: IdPath, session: SessionDep, settings: SettingsDep, _user: Auditor,
           format: Format = "json",  # noqa: A002
           ) -> Response | AgencyAuditDetail:
    """One agency: findings with their evidence (each with a link), chart series, job orders
    with their lifecycle history; ``format=csv`` downloads the findings."""
    detail = views.with_links(audit_agency(session, settings.data_dir, agency_id,
                                           dt.date.today()))
    if format == "csv":
        return _csv(views.to_csv(views.FINDING_COLUMNS, views.finding_csv_rows(
            detail["findings"])), f"agency-{agency_id}-findings.csv")
    return AgencyAuditDetail.model_validate(detail)


@router.get("/rules")
def rules(_user: Auditor) -> RuleCatalogue:
    """The rules the risk score combines: points per case, cap, why, and the rule's source."""
    return RuleCatalogue.model_validate({"items": views.catalogue(), "levels": views.levels()})


@router.get("/access-log", response_model=None, responses={200: {
    "model": AccessLogPage, "description": "JSON, or with ``format=csv`` a CSV download",
    **CSV_DOC}})
def access_log(session: SessionDep, _user: Auditor,
               username: Annotated[str | None, Query(max_length=80)] = None,
               worker_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
               agency_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
               since: Annotated[dt.date | None, Query(description="from this day on")] = None,
               until: Annotated[dt.date | None, Query(description="up to this day")] = None,
               limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
               format: Format = "json",  # noqa: A002
               ) -> Response | AccessLogPage:
    """Who (user and role) looked at which worker, when, for which job order, newest first;
    filters by user, worker, agency and dates. A ranked list is one row naming every worker it
    showed."""
    if since and until and since > until:
        raise HTTPException(422, "since: must not be after until")
    rows = access_log_rows(session, access_log_query(
        worker_id=worker_id, username=username or None, agency_id=agency_id, since=since,
        until=until), limit)
    if format == "csv":
        return _csv(views.to_csv(views.ACCESS_COLUMNS, views.access_csv_rows(rows)),
                    "access-log.csv")
    return AccessLogPage.model_validate({"items": rows})
