"""Auditor views: agency risk (JSON or CSV) and the access log."""

from __future__ import annotations

import csv
import datetime as dt
import io

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy import select

from api.deps import CurrentUser, SessionDep, SettingsDep, require
from registry.audit import agency_risk
from registry.models import AccessLog

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("/agencies", response_model=None)
def agencies(session: SessionDep, settings: SettingsDep,
             _user: CurrentUser = require("auditor", "admin"),
             format: str = Query("json", pattern="^(json|csv)$")) -> Response | dict:  # noqa: A002
    """Per-agency risk, riskiest first; ``format=csv`` downloads it."""
    rows = agency_risk(session, settings.data_dir, dt.date.today())
    if format == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["agency_id"])
        w.writeheader()
        w.writerows(rows)
        return Response(buf.getvalue(), media_type="text/csv",
                        headers={"Content-Disposition": "attachment; filename=agency-risk.csv"})
    return {"items": rows, "total": len(rows)}


@router.get("/access-log")
def access_log(session: SessionDep, _user: CurrentUser = require("auditor", "admin"),
               worker_id: int | None = None, limit: int = Query(100, ge=1, le=1000)) -> dict:
    """Who looked at which worker, newest first."""
    q = select(AccessLog).order_by(AccessLog.id.desc()).limit(limit)
    if worker_id is not None:
        q = q.where(AccessLog.worker_id == worker_id)
    return {"items": [{"at": r.at.isoformat() if r.at else None, "username": r.username,
                       "role": r.role, "action": r.action, "worker_id": r.worker_id,
                       "job_order_id": r.job_order_id} for r in session.scalars(q)]}
