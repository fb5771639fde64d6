"""The signed-in worker acts: opens a job, expresses or withdraws interest, edits what is theirs
to say on their profile, reports a fee paid, files a complaint, and sees where each stands.

Every write goes through ``registry.reports`` / ``registry.service`` (the same rules as
``PATCH /api/v1/workers/{id}``) and ``Writes``; a worker acts only for themselves: the worker id
is the signed-in account's, never one sent in the request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from api.access import own_worker
from api.deps import CurrentUser, IdPath, IfMatchDep, IndexerDep, SessionDep, require
from api.schemas import WorkerOut
from api.schemas_worker import (
    ComplaintList,
    ComplaintOut,
    Completeness,
    FeeReportList,
    FeeReportOut,
    InterestList,
    InterestOut,
    SkillSuggestion,
    SkillSuggestions,
    WorkerJobOut,
)
from api.serializers import worker_out
from api.serializers_worker import complaint_out, fee_report_out, interest_out, worker_job_out
from api.skill_search import suggest_skills
from api.writes import Writes, WritesDep
from registry import portal, reports, service
from registry.models import Worker
from registry.permissions import check_worker_patch
from registry.report_schemas import ComplaintIn, FeeReportIn, InterestIn
from registry.schemas import WorkerPatch

router = APIRouter(prefix="/api/v1/me", tags=["me"])
WORKER = require("worker")
T = TypeVar("T")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@router.patch("", response_model_exclude_unset=True)
def patch_me(body: WorkerPatch, writes: WritesDep, response: Response, expected: IfMatchDep,
             user: CurrentUser = WORKER) -> WorkerOut:
    """Change what is the worker's to say (``WORKER_SELF_FIELDS``); attested facts are 403."""
    wid = own_worker(writes.session, user).id
    check_worker_patch(user.role, user.worker_id, wid, body)

    def work() -> WorkerOut:
        return worker_out(service.update(writes.session, Worker, wid, body,
                                         expected_version=expected), private=True)

    return writes.update(response, work)


@router.get("/completeness")
def completeness(session: SessionDep, user: CurrentUser = WORKER) -> Completeness:
    """How complete the worker's profile is (0–100) and what is still empty."""
    percent, missing = portal.completeness(own_worker(session, user))
    return Completeness(percent=percent, missing=missing)


@router.get("/skill-suggestions")
def skill_suggestions(ix: IndexerDep, q: str = Query(..., min_length=1, max_length=100),
                      limit: int = Query(10, ge=1, le=30),
                      _user: CurrentUser = WORKER) -> SkillSuggestions:
    """ESCO skills whose English or Bangla name contains ``q`` (the profile form's hints)."""
    return SkillSuggestions(query=q, items=[
        SkillSuggestion(uri=u, label=label, label_bn=bn)
        for u, label, bn in suggest_skills(ix.taxonomy, q, limit)])


@router.get("/jobs/{job_order_id}")
def job(job_order_id: IdPath, session: SessionDep, ix: IndexerDep,
        user: CurrentUser = WORKER) -> WorkerJobOut:
    """A job open to workers (or one the worker is interested in): facts, whether the worker is
    eligible and what would fix it, the wage in taka, and the legal cost rule."""
    today = dt.date.today()
    wj = portal.job_for_worker(session, own_worker(session, user).id, job_order_id,
                               ix.settings.data_dir, today)
    return worker_job_out(wj, ix.taxonomy, today)


# A worker's interests, fee reports and complaints are listed and filed the same way: their own
# rows (``registry.reports.worker_reports``), and a store function called with their own id.
def _own(session: Session, user: CurrentUser, kind: str) -> list[Any]:
    """The signed-in worker's rows of ``kind`` (interests, fee_reports, complaints), newest
    first."""
    return reports.worker_reports(session, own_worker(session, user).id)[kind]


def _file(writes: Writes, user: CurrentUser, store: Callable[..., T], *args: Any) -> T:
    """Run ``store(session, worker_id, *args, now)`` for the signed-in worker and commit."""
    wid = own_worker(writes.session, user).id
    return writes.run(lambda: store(writes.session, wid, *args, _now()))


@router.get("/interests")
def interests(session: SessionDep, user: CurrentUser = WORKER) -> InterestList:
    """The worker's interests in job orders (active and withdrawn), newest first."""
    return InterestList(items=[interest_out(r) for r in _own(session, user, "interests")])


@router.post("/interests", status_code=status.HTTP_201_CREATED, response_model=InterestOut)
def express(body: InterestIn, writes: WritesDep, user: CurrentUser = WORKER) -> JSONResponse:
    """Express interest in a job open to workers (201; 200 if it was already active)."""
    row, created = _file(writes, user, reports.express_interest, body.job_order_id)
    return JSONResponse(interest_out(row).model_dump(mode="json"), 201 if created else 200)


@router.post("/interests/{job_order_id}/withdraw")
def withdraw(job_order_id: IdPath, writes: WritesDep, user: CurrentUser = WORKER) -> InterestOut:
    """Withdraw the worker's own interest in a job order (none: 404)."""
    return interest_out(_file(writes, user, portal.withdraw_interest_in, job_order_id))


@router.get("/fee-reports")
def fee_reports(session: SessionDep, user: CurrentUser = WORKER) -> FeeReportList:
    """The fees the worker reported and where each stands, newest first."""
    return FeeReportList(items=[fee_report_out(r) for r in _own(session, user, "fee_reports")])


@router.post("/fee-reports", status_code=status.HTTP_201_CREATED)
def report_fee(body: FeeReportIn, writes: WritesDep, user: CurrentUser = WORKER) -> FeeReportOut:
    """Report a fee paid (stored at once; the ministry's audit reads it)."""
    return fee_report_out(_file(writes, user, reports.report_fee, body))


@router.get("/complaints")
def complaints(session: SessionDep, user: CurrentUser = WORKER) -> ComplaintList:
    """The worker's complaints and where each stands, newest first."""
    return ComplaintList(items=[complaint_out(r) for r in _own(session, user, "complaints")])


@router.post("/complaints", status_code=status.HTTP_201_CREATED)
def complain(body: ComplaintIn, writes: WritesDep, user: CurrentUser = WORKER) -> ComplaintOut:
    """File a complaint against an agency (stored at once, open)."""
    return complaint_out(_file(writes, user, reports.file_complaint, body))
