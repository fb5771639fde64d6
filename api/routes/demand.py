"""The job-order demand lifecycle over HTTP: submit with the letter, verify, reject, close,
history, the letter itself. Every step is ``registry.demand`` (the admin pages call the same)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import ValidationError

from api.access import visible_job
from api.deps import CurrentUser, IdPath, SessionDep, require
from api.schemas import JobOrderOut
from api.schemas_demand import DemandLetterOut, JobHistoryOut, ReasonIn, TransitionOut
from api.serializers import job_out
from api.writes import WritesDep
from registry import demand, letters
from registry.compliance import job_is_matchable
from registry.models import JobOrder
from registry.report_schemas import DemandLetterIn
from registry.service import InvalidRecordError, NotFoundError

router = APIRouter(prefix="/api/v1/job-orders", tags=["demand lifecycle"])
READERS = ("officer", "auditor", "ministry", "admin")


def actor_of(user: CurrentUser) -> demand.Actor:
    """The lifecycle's view of the signed-in user."""
    return demand.Actor(user.username, user.role, user.agency_id)


def now() -> dt.datetime:
    """The time a step is recorded at (naive UTC, as the registry stores times)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def letter_facts(data: bytes, filename: str | None, number: str, date: str, mission: str,
                 permission: str) -> DemandLetterIn:
    """Check the letter's bytes and facts (422 naming the field); nothing is stored yet."""
    letters.kind_of(data)
    try:
        facts = DemandLetterIn.model_validate({
            "attestation_number": number, "attestation_date": date,
            "attesting_mission": mission, "recruitment_permission": permission,
            "demand_letter_sha256": "0" * 64,
            "demand_letter_filename": letters.safe_filename(filename)})
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "body"
        raise InvalidRecordError(f"{field}: {err['msg']}") from None
    return facts.model_copy(update={"demand_letter_sha256": hashlib.sha256(data).hexdigest()})


def submit_job(writes: WritesDep, user: CurrentUser, job_order_id: int, data: bytes,
               filename: str | None, fields: dict[str, str], var_dir: Path) -> JobOrder:
    """Submit a job order with its letter (shared by the API and the pages)."""
    job = visible_job(writes.session, user, job_order_id)
    facts = letter_facts(data, filename, fields.get("attestation_number", ""),
                         fields.get("attestation_date", ""), fields.get("attesting_mission", ""),
                         fields.get("recruitment_permission", ""))

    def work() -> None:
        demand.submit(writes.session, job.id, facts, actor_of(user), now())
        letters.store(var_dir, data)  # only once the step is allowed, before the commit

    writes.run(work)
    writes.session.refresh(job)
    return job


@router.post("/{job_order_id}/submit")
def submit(job_order_id: IdPath, request: Request, writes: WritesDep,
                 demand_letter: Annotated[UploadFile, File(description="PDF, JPEG or PNG, "
                                                           "at most 5 MiB")],
                 attestation_number: Annotated[str, Form(max_length=60)],
                 attestation_date: Annotated[str, Form(max_length=10,
                                                       description="YYYY-MM-DD")],
                 attesting_mission: Annotated[str, Form(max_length=120)],
                 recruitment_permission: Annotated[str, Form(max_length=40)],
                 user: CurrentUser = require("officer", "admin")) -> JobOrderOut:
    """The agency submits a draft (or rejected) job order with its attested demand letter."""
    data = demand_letter.file.read(letters.MAX_LETTER_BYTES + 1)
    fields = {"attestation_number": attestation_number, "attestation_date": attestation_date,
              "attesting_mission": attesting_mission,
              "recruitment_permission": recruitment_permission}
    job = submit_job(writes, user, job_order_id, data, demand_letter.filename, fields,
                     request.app.state.settings.var_dir)
    return job_out(job, dt.date.today())


def _step(writes: WritesDep, user: CurrentUser, job_order_id: int, to: str,
          reason: str) -> JobOrderOut:
    job = visible_job(writes.session, user, job_order_id)
    writes.run(lambda: demand.transition(writes.session, job.id, to, actor_of(user), now(),
                                         reason))
    writes.session.refresh(job)
    return job_out(job, dt.date.today())


@router.post("/{job_order_id}/verify")
def verify(job_order_id: IdPath, body: ReasonIn, writes: WritesDep,
           user: CurrentUser = require("ministry", "admin")) -> JobOrderOut:
    """Ministry staff verify a submitted job order (its letter attested, permission given)."""
    return _step(writes, user, job_order_id, "verified", body.reason)


@router.post("/{job_order_id}/reject")
def reject(job_order_id: IdPath, body: ReasonIn, writes: WritesDep,
           user: CurrentUser = require("ministry", "admin")) -> JobOrderOut:
    """Ministry staff reject a submitted job order; ``reason`` is required."""
    return _step(writes, user, job_order_id, "rejected", body.reason)


@router.post("/{job_order_id}/close")
def close(job_order_id: IdPath, body: ReasonIn, writes: WritesDep,
          user: CurrentUser = require("officer", "admin")) -> JobOrderOut:
    """The agency closes a job order (filled or withdrawn)."""
    return _step(writes, user, job_order_id, "closed", body.reason)


def history_of(session: SessionDep, job: JobOrder, today: dt.date) -> JobHistoryOut:
    """A job order's lifecycle as the API and the pages show it."""
    reasons = demand.not_matchable_reasons(job, today)
    return JobHistoryOut(
        job_order_id=job.id, status=demand.effective_status(job, today),  # type: ignore[arg-type]
        matchable=job_is_matchable(job, today),
        why_not_matchable=[r.text for r in reasons],
        why_not_matchable_codes=[r.code for r in reasons],
        demand_letter=DemandLetterOut(
            attestation_number=job.attestation_number, attestation_date=job.attestation_date,
            attesting_mission=job.attesting_mission,
            recruitment_permission=job.recruitment_permission, sha256=job.demand_letter_sha256,
            filename=job.demand_letter_filename, attested=job.demand_letter_attested),
        transitions=[TransitionOut.model_validate(t)
                     for t in demand.history(session, job.id)])


@router.get("/{job_order_id}/history")
def history(job_order_id: IdPath, session: SessionDep,
            user: CurrentUser = require(*READERS)) -> JobHistoryOut:
    """Who moved the job order from what to what, when and why; why it is not matchable."""
    return history_of(session, visible_job(session, user, job_order_id), dt.date.today())


@router.get("/{job_order_id}/demand-letter", response_class=FileResponse,
            responses={200: {"content": {m: {"schema": {"type": "string", "format": "binary"}}
                                         for m in ("application/pdf", "image/jpeg",
                                                   "image/png")}}})
def demand_letter(job_order_id: IdPath, session: SessionDep, request: Request,
                  user: CurrentUser = require(*READERS)) -> Response:
    """Download the job order's demand letter (its agency, ministry staff, auditors, admins)."""
    job = visible_job(session, user, job_order_id)
    found = (letters.find(request.app.state.settings.var_dir, job.demand_letter_sha256)
             if job.demand_letter_sha256 else None)
    if found is None:
        raise NotFoundError(f"job order {job.id} has no demand letter on file")
    path, media = found
    name = job.demand_letter_filename or f"demand-letter-{job.id}{path.suffix}"
    return FileResponse(path, media_type=media, filename=name,
                        headers={"Cache-Control": "private, no-store"})
