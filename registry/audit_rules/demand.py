"""Demand rule: workers matched, shortlisted, selected or deployed against a job order that was
not verified, was past its deadline, or lacked an attested demand letter or a recruitment
permission at that moment.

The job order's status at a moment comes from its lifecycle transitions; an order with no
recorded transitions (created before the lifecycle was kept) is judged by its current status,
and the finding says so. The demand-letter facts are judged as stored now (they are set once,
on submission).

Source: Overseas Employment and Migrants Act 2013 (BMET recruitment permission on a demand letter
attested by the Bangladesh mission's labour wing); en.prothomalo.com, itrade.com.bd (DOMAIN.md).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from registry.audit_rules.base import (
    PICKED,
    AuditData,
    Evidence,
    Finding,
    application_moment,
    on_or_before,
)
from registry.demand import status_at
from registry.models import JobOrder

SOURCE = ("Overseas Employment and Migrants Act 2013: recruitment only on BMET recruitment "
          "permission for a demand letter attested by the mission's labour wing "
          "(en.prothomalo.com; itrade.com.bd)")


def problems_at(data: AuditData, job: JobOrder, moment: dt.datetime) -> tuple[list[str], bool]:
    """Return what was wrong with the job order's demand at ``moment`` and whether its status
    was inferred (no lifecycle history)."""
    recorded = status_at(data.transitions.get(job.id, []), moment, job.status)
    status = recorded or job.status
    problems = []
    # Without history a closed or expired order may well have been verified back then: unknown.
    unknown = recorded is None and job.status in ("closed", "expired")
    if status != "verified" and not unknown:
        problems.append(f"not verified (status {status})")
    if moment.date() > job.deadline:
        problems.append(f"past its deadline {job.deadline.isoformat()}")
    if not job.demand_letter_attested:
        problems.append("no attested demand letter")
    if not job.recruitment_permission:
        problems.append("no recruitment permission")
    return problems, recorded is None


def demand_findings(data: AuditData, today: dt.date) -> list[Finding]:
    """One finding per job order with picks (or ranked-list views) made while its demand was not
    in order, each pick as evidence with what was wrong at its moment."""
    picks: dict[int, list[Evidence]] = defaultdict(list)
    inferred: dict[int, bool] = {}
    for app in data.applications:
        moment = application_moment(app)
        if app.status not in PICKED or not on_or_before(moment, today):
            continue
        job = data.jobs[app.job_order_id]
        problems, guessed = problems_at(data, job, moment)
        if problems:
            inferred[job.id] = guessed
            picks[job.id].append(Evidence("application", app.id, {
                "worker_id": app.worker_id, "status": app.status, "at": moment,
                "problems": problems}))
    views: dict[int, list[Evidence]] = defaultdict(list)
    for row in data.rank_views:
        job_ = data.jobs.get(row.job_order_id or 0)
        if job_ is None or not on_or_before(row.at, today):
            continue
        problems, guessed = problems_at(data, job_, row.at)
        if problems:
            inferred.setdefault(job_.id, guessed)
            views[job_.id].append(Evidence("access_log", row.id, {
                "username": row.username, "at": row.at, "problems": problems}))
    out = []
    for job_id in sorted(set(picks) | set(views)):
        job = data.jobs[job_id]
        job_ev = Evidence("job_order", job.id, {
            "title": job.title, "status": job.status, "deadline": job.deadline,
            "demand_letter_attested": job.demand_letter_attested,
            "recruitment_permission": job.recruitment_permission,
            "attestation_number": job.attestation_number})
        history = tuple(Evidence("transition", t.id, {"from": t.from_status, "to": t.to_status,
                                                       "at": t.at, "by": t.username})
                        for t in data.transitions.get(job.id, []))
        note = (" (no lifecycle history: judged by its current status)"
                if inferred.get(job_id) else "")
        if picks[job_id]:
            out.append(Finding(
                "demand_not_verified", job.agency_id, "high",
                f"{len(picks[job_id])} worker(s) shortlisted, selected or deployed for job order "
                f"{job.id} while its demand was not in order{note}.", SOURCE,
                (job_ev, *picks[job_id], *history), count=len(picks[job_id]),
                job_order_id=job.id))
        if views[job_id]:
            out.append(Finding(
                "demand_matched_unverified", job.agency_id, "medium",
                f"Candidates were ranked {len(views[job_id])} time(s) for job order {job.id} "
                f"while its demand was not in order{note}.", SOURCE,
                (job_ev, *views[job_id], *history), count=len(views[job_id]),
                job_order_id=job.id))
    return out
