"""A candidate's page for one job order: profile, experience, skills by name, why they match.

Passport, phone and NID are masked until the officer shortlists the worker for this job order
(``registry.pipeline.is_chosen``); every view is written to the access log.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.access import is_candidate, visible_job
from api.deps import IdPath, IndexerDep, SessionDep, SettingsDep
from api.i18n.render import render
from api.web.common import need
from api.writes import Writes
from matcher import eligibility
from matcher.inputs import job_facts, required_skills, worker_facts
from matcher.scoring import skill_coverage
from registry import pipeline, service
from registry.models import Worker
from registry.outcomes import next_steps
from registry.service import NotFoundError

router = APIRouter(include_in_schema=False)


def mask(value: str | None) -> str | None:
    """Return an identity number hidden but for its last two characters (None stays None)."""
    if not value:
        return value
    return "•" * max(len(value) - 2, 4) + value[-2:]


@router.get("/officer/jobs/{job_order_id}/workers/{worker_id}", response_class=HTMLResponse)
def candidate(job_order_id: IdPath, worker_id: IdPath, request: Request,  # type: ignore[no-untyped-def]
              settings: SettingsDep, session: SessionDep, ix: IndexerDep):
    """One candidate for one job order (identity numbers shown once shortlisted)."""
    user = need(request, settings, session, "officer", "admin")
    job = visible_job(session, user, job_order_id)
    worker: Worker = service.get(session, Worker, worker_id)
    status = pipeline.status_of(session, job.id, worker.id)
    if user.role == "officer" and status is None and not is_candidate(worker, job,
                                                                      dt.date.today()):
        raise NotFoundError(f"worker {worker_id} not found")  # not this job order's candidate
    Writes(session, ix).log_view(user, "view_candidate", [worker.id], job.id)
    tax = ix.taxonomy
    req, opt = required_skills(job, tax.essential)
    _, matched, missing = skill_coverage(req, opt, worker.skills or [])
    shown = status in pipeline.CHOSEN
    ident = {k: (getattr(worker, k) if shown else mask(getattr(worker, k)))
             for k in ("passport_number", "phone", "nid_number")}
    experience = [(tax.occupations[e["occupation_uri"]].label
                   if e.get("occupation_uri") in tax.occupations else e.get("occupation_uri"),
                   float(e.get("years", 0) or 0)) for e in worker.experience or []]
    return render(request, "officer_candidate.html", {
        "job": job, "w": worker, "step_now": status, "shown": shown, "ident": ident,
        "experience": experience, "skills": [tax.skill_label(s) for s in worker.skills or []],
        "matched": [tax.skill_label(s) for s in matched],
        "missing": [tax.skill_label(s) for s in missing],
        "failures": eligibility.check(worker_facts(worker), job_facts(job)),
        "rules": len([r for r in eligibility.RULES if r.applies(job_facts(job))]),
        "next": next_steps(status)}, user=user)
