"""Trafficking red flags (issue 14): a wage below the known floor, an employer with no verified
demand, placements while complaints are ignored, sudden fee jumps.

Thresholds are module constants, named in each finding; the wage floors are sourced rows in
``registry/data/minimum_wages.csv`` (an unknown floor gives no finding).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

from registry.audit_rules.base import (
    PICKED,
    PLACED,
    AuditData,
    Evidence,
    Finding,
    application_moment,
    on_or_before,
)
from registry.audit_rules.fees import payments
from registry.models import JobOrder

# A complaint nobody acknowledged within this many days is "ignored" (a setting of the audit:
# BMET's own complaint cell received 1,112 complaints in six months of 2023, DOMAIN.md).
COMPLAINT_DAYS = 30
# A sudden fee jump: the median fee an agency's workers report for a destination in the last
# FEE_JUMP_WINDOW_DAYS is at least FEE_JUMP_RATIO times the median of the year before, with at
# least FEE_JUMP_MIN_REPORTS reports on each side.
FEE_JUMP_WINDOW_DAYS = 90
FEE_JUMP_RATIO = 1.5
FEE_JUMP_MIN_REPORTS = 2

WAGE_SOURCE = "Known minimum wage for the destination and occupation: {publisher} ({url})"
EMPLOYER_SOURCE = ("Fake demand letters and visa trading (en.prothomalo.com, in DOMAIN.md); "
                   "recruitment only against verified demand (Overseas Employment and Migrants "
                   "Act 2013)")
COMPLAINT_SOURCE = ("Complaints with follow-up (DOMAIN.md, reported problem 10); licences can "
                    "be suspended or cancelled (Act s.12): threshold {days} days is Shetu's")
FEE_JUMP_SOURCE = ("Excess fees from dalals and sub-agents (IOM Bangladesh; The Daily Star, in "
                   "DOMAIN.md): threshold ×{ratio} over {days} days is Shetu's")


def occupation_keys(job: JobOrder) -> tuple[str, ...]:
    """The wage-floor occupations a job order falls under."""
    return ("domestic_worker",) if job.domestic_work else ()


def wage_findings(data: AuditData, today: dt.date) -> list[Finding]:
    """Job orders (and workers' contracts) paying below a known floor in the same currency."""
    out = []
    for job in data.jobs.values():
        for occ in occupation_keys(job):
            floor = data.wage_floors.get((job.destination, occ))
            if floor is None or job.wage_currency != floor.currency:
                continue  # unknown floor (or another currency): no finding
            src = WAGE_SOURCE.format(publisher=floor.publisher, url=floor.source_url)
            if job.wage_amount is not None and job.wage_amount < floor.amount:
                out.append(Finding(
                    "wage_below_minimum", job.agency_id, "high",
                    f"Job order {job.id} offers {job.wage_amount:,.0f} {job.wage_currency} a "
                    f"month, below the {floor.amount:,.0f} {floor.currency} known minimum for "
                    f"{occ.replace('_', ' ')}s in {job.destination}.", src,
                    (Evidence("job_order", job.id, {"title": job.title,
                                                    "wage_amount": job.wage_amount,
                                                    "wage_currency": job.wage_currency,
                                                    "minimum": floor.amount}),),
                    job_order_id=job.id))
            for r in data.contract_reports:
                if (r.job_order_id == job.id and r.wage_amount is not None
                        and r.wage_currency == floor.currency and r.wage_amount < floor.amount
                        and r.status != "unsubstantiated" and on_or_before(r.created_at, today)):
                    out.append(Finding(
                        "wage_below_minimum", job.agency_id, "high",
                        f"Worker {r.worker_id} reports {r.wage_amount:,.0f} {r.wage_currency} a "
                        f"month on job order {job.id}, below the {floor.amount:,.0f} known "
                        "minimum.", src,
                        (Evidence("contract_report", r.id, {"wage_amount": r.wage_amount,
                                                            "minimum": floor.amount}),),
                        job_order_id=job.id))
    return out


def _ever_verified(data: AuditData, job: JobOrder) -> bool:
    if job.status in ("verified", "expired"):
        return True
    if any(t.to_status == "verified" for t in data.transitions.get(job.id, [])):
        return True
    # Closed before the lifecycle was recorded: verified if its letter and permission are there.
    return (job.status == "closed" and job.id not in data.transitions
            and job.demand_letter_attested and bool(job.recruitment_permission))


def employer_findings(data: AuditData, today: dt.date) -> list[Finding]:
    """Agencies picking workers for an employer none of whose job orders was ever verified."""
    by_employer: dict[int, list[JobOrder]] = defaultdict(list)
    for job in data.jobs.values():
        by_employer[job.employer_id].append(job)
    out = []
    for employer_id, jobs in sorted(by_employer.items()):
        if any(_ever_verified(data, j) for j in jobs):
            continue
        ids = {j.id for j in jobs}
        per_agency: dict[int, list[Evidence]] = defaultdict(list)
        for a in data.applications:
            if (a.job_order_id in ids and a.status in PICKED
                    and on_or_before(application_moment(a), today)):
                per_agency[data.agency_of(a)].append(Evidence("application", a.id, {
                    "job_order_id": a.job_order_id, "worker_id": a.worker_id,
                    "status": a.status}))
        emp = data.employers.get(employer_id)
        for agency_id, evidence in sorted(per_agency.items()):
            out.append(Finding(
                "employer_no_verified_demand", agency_id, "high",
                f"{len(evidence)} worker(s) picked for employer {employer_id}"
                f"{f' ({emp.name})' if emp else ''}, which has no verified job order.",
                EMPLOYER_SOURCE,
                (Evidence("employer", employer_id, {"name": emp.name if emp else None,
                                                    "country": emp.country if emp else None}),
                 *evidence), count=len(evidence)))
    return out


def complaint_findings(data: AuditData, today: dt.date,
                       days: int = COMPLAINT_DAYS) -> list[Finding]:
    """Complaints left open (unacknowledged) beyond ``days``, and placements made since."""
    src = COMPLAINT_SOURCE.format(days=days)
    overdue: dict[int, list] = defaultdict(list)
    for c in data.complaints:
        if c.status == "open" and c.created_at.date() + dt.timedelta(days=days) < today:
            overdue[c.agency_id].append(c)
    out = []
    for agency_id, items in sorted(overdue.items()):
        ev = tuple(Evidence("complaint", c.id, {
            "category": c.category, "status": c.status, "filed": c.created_at,
            "days_open": (today - c.created_at.date()).days}) for c in items)
        out.append(Finding(
            "complaints_ignored", agency_id, "medium",
            f"{len(items)} complaint(s) open and unacknowledged for more than {days} days.", src,
            ev, count=len(items)))
        since = min(c.created_at.date() for c in items) + dt.timedelta(days=days)
        placed = [a for a in data.applications
                  if a.status in PLACED and data.agency_of(a) == agency_id
                  and since <= application_moment(a).date() <= today]
        if placed:
            out.append(Finding(
                "placements_while_complaints_ignored", agency_id, "high",
                f"{len(placed)} worker(s) selected or deployed since {since.isoformat()} while "
                f"{len(items)} complaint(s) stayed unanswered.", src,
                ev + tuple(Evidence("application", a.id, {
                    "job_order_id": a.job_order_id, "status": a.status,
                    "at": application_moment(a)}) for a in placed), count=len(placed)))
    return out


def fee_jump_findings(data: AuditData, today: dt.date) -> list[Finding]:
    """An agency whose reported fees for a destination jumped recently (dated reports only)."""
    recent_from = today - dt.timedelta(days=FEE_JUMP_WINDOW_DAYS)
    before_from = recent_from - dt.timedelta(days=365)
    groups: dict[tuple[int, str], list] = defaultdict(list)
    for p in payments(data, today):
        if p.paid_on is not None and p.destination:
            groups[(p.agency_id, p.destination)].append(p)
    out = []
    for (agency_id, dest), items in sorted(groups.items()):
        recent = [p for p in items if p.paid_on > recent_from]
        before = [p for p in items if before_from < p.paid_on <= recent_from]
        if len(recent) < FEE_JUMP_MIN_REPORTS or len(before) < FEE_JUMP_MIN_REPORTS:
            continue
        now_med = statistics.median(p.amount_bdt for p in recent)
        then_med = statistics.median(p.amount_bdt for p in before)
        if then_med > 0 and now_med >= FEE_JUMP_RATIO * then_med:
            out.append(Finding(
                "fee_jump", agency_id, "medium",
                f"Fees reported for {dest} rose from a median Tk {then_med:,.0f} to "
                f"Tk {now_med:,.0f} in the last {FEE_JUMP_WINDOW_DAYS} days "
                f"(×{now_med / then_med:.1f}).",
                FEE_JUMP_SOURCE.format(ratio=FEE_JUMP_RATIO, days=FEE_JUMP_WINDOW_DAYS),
                tuple(Evidence(p.kind, p.id, {"amount_bdt": p.amount_bdt, "paid_on": p.paid_on,
                                              "window": "recent" if p in recent else "before"})
                      for p in sorted(before + recent, key=lambda p: (p.paid_on, p.id))),
                count=len(recent)))
    return out
