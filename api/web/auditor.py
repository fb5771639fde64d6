"""The ministry auditor's pages."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep
from api.i18n.render import render
from api.web.common import need
from registry.audit import agency_risk

router = APIRouter(include_in_schema=False)


@router.get("/auditor", response_class=HTMLResponse)
def auditor_page(request: Request, settings: SettingsDep, session: SessionDep):  # type: ignore[no-untyped-def]
    """Agency risk with a chart, and the CSV export link."""
    user = need(request, settings, session, "auditor", "admin")
    rows = agency_risk(session, settings.data_dir, dt.date.today())
    top = rows[:15]
    max_score = max((r["risk_score"] for r in top), default=1) or 1
    return render(request, "auditor.html", {"rows": rows, "top": top, "max_score": max_score},
                  user=user)
