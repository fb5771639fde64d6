"""Licence rule: an agency whose licence is expired, suspended or cancelled while it still has
open demand or makes placements.

Source: Overseas Employment and Migrants Act 2013, s.9 (no recruitment without a licence) and
s.12 (suspension, cancellation); accountabilityhub.org (shared/DOMAIN.md, The actors).
"""

from __future__ import annotations

import datetime as dt

from registry.audit_rules.base import PLACED, AuditData, Evidence, Finding, application_moment
from registry.compliance import licence_status

SOURCE = ("Overseas Employment and Migrants Act 2013, s.9 (licence required to recruit) and "
          "s.12 (suspension, cancellation); accountabilityhub.org")
# Demand still being worked on (a draft is not yet offered to anyone).
OPEN_DEMAND = frozenset({"submitted", "verified"})


def licence_findings(data: AuditData, today: dt.date) -> list[Finding]:
    """Flag agencies without a licence in force on ``today`` that have open job orders, or
    that placed workers after the licence lapsed.

    For an expired licence "after" is after ``licence_valid_until``; for a suspension or
    cancellation (whose date the registry does not keep) it is after the agency record was last
    changed, which is no earlier than the suspension was recorded, so no placement made before
    it is ever blamed on it.
    """
    out: list[Finding] = []
    for agency in data.agencies.values():
        status = licence_status(agency, today)
        if status == "valid":
            continue
        lapsed_on = (agency.licence_valid_until + dt.timedelta(days=1) if status == "expired"
                     else agency.updated_at.date())
        agency_ev = Evidence("agency", agency.id, {
            "licence_number": agency.licence_number, "licence_status": status,
            "licence_valid_until": agency.licence_valid_until})
        jobs = data.jobs_of(agency.id)
        open_jobs = [j for j in jobs if j.status in OPEN_DEMAND and j.deadline >= today]
        if open_jobs:
            out.append(Finding(
                "licence_open_demand", agency.id, "high",
                f"Licence {agency.licence_number} is {status} but {len(open_jobs)} job "
                f"order(s) are still open.", SOURCE,
                (agency_ev, *(Evidence("job_order", j.id, {"title": j.title, "status": j.status,
                                                           "deadline": j.deadline})
                              for j in open_jobs)), count=len(open_jobs)))
        job_ids = {j.id for j in jobs}
        placed = [a for a in data.applications
                  if a.job_order_id in job_ids and a.status in PLACED
                  and lapsed_on <= application_moment(a).date() <= today]
        if placed:
            out.append(Finding(
                "licence_placements", agency.id, "high",
                f"{len(placed)} worker(s) selected or deployed on or after "
                f"{lapsed_on.isoformat()}, when licence {agency.licence_number} was {status}.",
                SOURCE,
                (agency_ev, *(Evidence("application", a.id, {
                    "job_order_id": a.job_order_id, "worker_id": a.worker_id,
                    "status": a.status, "at": application_moment(a)}) for a in placed)),
                count=len(placed)))
    return out
