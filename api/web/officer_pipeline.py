"""The pipeline's actions on a job order: bulk shortlist/select/deploy/reject, CSV export.

Each step goes through the outcome service (``registry.pipeline.move`` →
``registry.outcomes.record_outcome``), as ``POST /api/v1/job-orders/{id}/outcomes`` does.
The form is read after the role check, so a user without the role gets 403, not 422.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from api.access import is_candidate, visible_job
from api.audit_views import csv_safe
from api.deps import IdPath, SettingsDep
from api.i18n.render import render
from api.web.common import need
from api.writes import WritesDep
from registry import pipeline
from registry.audit import log_access
from registry.models import JobOrder, Worker
from registry.service import ConflictError, InvalidRecordError, NotFoundError
from registry.vocab import MAX_ID

router = APIRouter(include_in_schema=False)


async def read_form(request: Request) -> FormData:
    """The posted form (parsed before the handler, checked inside it)."""
    return await request.form(max_files=0, max_fields=pipeline.MAX_BULK + 10)


def _ids(values: list[str]) -> list[int]:
    out = []
    for v in values:
        if not (isinstance(v, str) and v.isdigit() and 1 <= int(v) <= MAX_ID):
            raise InvalidRecordError(f"worker_id: {str(v)[:20]!r} is not a worker id")
        out.append(int(v))
    return out


@router.post("/officer/jobs/{job_order_id}/pipeline", response_class=HTMLResponse)
def bulk(job_order_id: IdPath, request: Request, settings: SettingsDep, writes: WritesDep,  # type: ignore[no-untyped-def]
         form: Annotated[FormData, Depends(read_form)]):
    """Move the ticked workers one step (all or none), then back to the job order."""
    user = need(request, settings, writes.session, "officer", "admin")
    job = visible_job(writes.session, user, job_order_id)
    status = str(form.get("status") or "")
    reason = str(form.get("reason") or "") or None
    today = dt.date.today()

    def may_open(worker: Worker, job: JobOrder) -> bool:
        return is_candidate(worker, job, today)

    try:
        ids = _ids([str(v) for v in form.getlist("worker_id")])

        def work() -> int:
            moved = pipeline.move(writes.session, job, ids, status, username=user.username,
                                  reason=reason, may_open=may_open)
            log_access(writes.session, username=user.username, role=user.role,
                       action="record_outcome", worker_ids=ids, job_order_id=job.id)
            return len(moved)

        n = writes.run(work)
    except (ConflictError, InvalidRecordError, NotFoundError) as exc:
        writes.session.rollback()
        code = 409 if isinstance(exc, ConflictError) else 422
        return render(request, "officer_pipeline_error.html", {"job": job, "message": str(exc)},
                      user=user, status_code=code)
    back = str(form.get("back") or "")
    target = back if back.startswith(f"/officer/jobs/{job.id}") and "//" not in back else \
        f"/officer/jobs/{job.id}"
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}moved={n}&step={status}#pipeline", status_code=303)


@router.get("/officer/jobs/{job_order_id}/shortlist.csv")
def shortlist_csv(job_order_id: IdPath, request: Request, settings: SettingsDep,
                  writes: WritesDep) -> Response:
    """The job order's shortlisted, selected and deployed workers as CSV (formula-safe)."""
    user = need(request, settings, writes.session, "officer", "admin")
    job = visible_job(writes.session, user, job_order_id)
    rows = pipeline.shortlist_rows(writes.session, job)
    writes.log_view(user, "export_shortlist", [int(r[1]) for r in rows[1:]], job.id)  # type: ignore[call-overload]
    buf = io.StringIO()
    out = csv.writer(buf)
    for row in rows:
        out.writerow([csv_safe(v) for v in row])
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="shortlist-job-{job.id}.csv"'})
