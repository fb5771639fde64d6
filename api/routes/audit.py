"""Auditor views: agency risk (JSON or CSV) and the access log."""

from __future__ import annotations

import csv
import datetime as dt
import io

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import CurrentUser, SessionDep, SettingsDep, require
from api.schemas import AccessLogPage, AccessRow, AgencyRiskList
from registry.audit import access_log_query, access_row_worker_ids, agency_risk
from registry.vocab import MAX_ID

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection,
# OWASP): such cells are written with a leading apostrophe, which shows the text as typed.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """Return a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("/agencies", response_model=None, responses={200: {
    "model": AgencyRiskList, "description": "JSON, or with ``format=csv`` a CSV download",
    "content": {"text/csv": {"schema": {"type": "string"}}}}})
def agencies(session: SessionDep, settings: SettingsDep,
             _user: CurrentUser = require("auditor", "admin"),
             format: str = Query("json", pattern="^(json|csv)$"),  # noqa: A002
             ) -> Response | AgencyRiskList:
    """Per-agency risk, riskiest first; ``format=csv`` downloads it."""
    rows = agency_risk(session, settings.data_dir, dt.date.today())
    if format == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["agency_id"])
        w.writeheader()
        w.writerows({k: csv_safe(v) for k, v in r.items()} for r in rows)
        return Response(buf.getvalue(), media_type="text/csv",
                        headers={"Content-Disposition": "attachment; filename=agency-risk.csv"})
    return AgencyRiskList.model_validate({"items": rows, "total": len(rows)})


@router.get("/access-log")
def access_log(session: SessionDep, _user: CurrentUser = require("auditor", "admin"),
               worker_id: int | None = Query(None, ge=1, le=MAX_ID),
               limit: int = Query(100, ge=1, le=1000)) -> AccessLogPage:
    """Who looked at which worker, newest first (a ranked list is one row naming every worker
    it showed)."""
    q = access_log_query(worker_id=worker_id).limit(limit)
    return AccessLogPage(items=[
        AccessRow(at=r.at, username=r.username, role=r.role, action=r.action,
                  worker_ids=access_row_worker_ids(r), job_order_id=r.job_order_id)
        for r in session.scalars(q)])
