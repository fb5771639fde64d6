"""A job order's recruitment pipeline as JSON: list, bulk steps, first-rule exclusions.

The same services as the officer's pages (``registry.pipeline``, ``indexer.exclusions``); each
step is an outcome (``registry.outcomes``), as ``POST .../outcomes`` records one.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter

from api.access import is_candidate, visible_job
from api.deps import CurrentUser, IdPath, IndexerDep, SessionDep, require
from api.schemas_officer import ExclusionsOut, PipelineEntryOut, PipelineOut, PipelineStepIn
from api.writes import WritesDep
from indexer.exclusions import first_rule_exclusions
from registry import pipeline
from registry.audit import log_access
from registry.compliance import why_not_matchable
from registry.models import JobOrder, Worker
from registry.service import ConflictError

router = APIRouter(prefix="/api/v1/job-orders", tags=["job orders"])


def _out(session, job: JobOrder) -> PipelineOut:  # type: ignore[no-untyped-def]
    items = pipeline.entries(session, job.id)
    return PipelineOut(job_order_id=job.id, headcount=job.headcount,
                       selected=pipeline.selected_count(items), counts=pipeline.counts(items),
                       items=[PipelineEntryOut(worker_id=e.worker_id, full_name=e.full_name,
                                               status=e.status, reason=e.reason)  # type: ignore[arg-type]
                              for e in items])


@router.get("/{job_order_id}/pipeline")
def get_pipeline(job_order_id: IdPath, session: SessionDep,
                 user: CurrentUser = require("officer", "admin")) -> PipelineOut:
    """The job order's shortlisted, selected, deployed and rejected workers."""
    job = visible_job(session, user, job_order_id)
    out = _out(session, job)
    log_access(session, username=user.username, role=user.role, action="view_pipeline",
               worker_ids=[i.worker_id for i in out.items], job_order_id=job.id)
    session.commit()
    return out


@router.post("/{job_order_id}/pipeline")
def post_pipeline(job_order_id: IdPath, body: PipelineStepIn, writes: WritesDep,
                  user: CurrentUser = require("officer", "admin")) -> PipelineOut:
    """Move workers one step (shortlisted, selected, deployed, rejected): all or none."""
    job = visible_job(writes.session, user, job_order_id)
    today = dt.date.today()

    def may_open(worker: Worker, job: JobOrder) -> bool:
        return is_candidate(worker, job, today)

    def work() -> None:
        pipeline.move(writes.session, job, body.worker_ids, body.status, username=user.username,
                      reason=body.reason, may_open=may_open)
        log_access(writes.session, username=user.username, role=user.role,
                   action="record_outcome", worker_ids=body.worker_ids, job_order_id=job.id)

    try:
        writes.run(work)
    except Exception:
        writes.session.rollback()
        raise
    return _out(writes.session, job)


@router.get("/{job_order_id}/exclusions")
def get_exclusions(job_order_id: IdPath, session: SessionDep, ix: IndexerDep,
                   user: CurrentUser = require("officer", "admin")) -> ExclusionsOut:
    """Who the job order excludes, each worker under the first rule they fail."""
    job = visible_job(session, user, job_order_id)
    reasons = why_not_matchable(job, today=dt.date.today())
    if reasons:
        raise ConflictError(f"job order {job.id} is not matchable: {'; '.join(reasons)}")
    ex = first_rule_exclusions(ix, job)
    return ExclusionsOut(job_order_id=job.id, total=ex.total, eligible=ex.eligible,
                         first_rule=ex.first_rule)
