"""Fee rules: what workers report paying, against the government ceiling and the employer-pays
principle.

- ``fee_above_ceiling``: a worker's total reported cost for one job order (or, without a job
  order, for one agency and destination) above the destination's government-fixed ceiling
  (``migration_cost_ceilings.csv`` via ``registry.compliance.cost_ceilings``).
- ``fee_charged``: any recruitment fee or related cost charged to the worker at all, however
  small (employer pays). The government's own fees inside the ceiling (welfare fund, insurance,
  passport) are not counted: the worker pays those (mrc-bangladesh.org FAQ).
- ``fee_ceiling_unknown``: the destination has no known ceiling (or the report names no job
  order, so no destination): reported as unknown, never compared with a guess.

Reports ministry staff found unsubstantiated are left out. Fees recorded on applications
(``Application.fee_paid_bdt``, older data) count like reports.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from registry.audit_rules.base import AuditData, Evidence, Finding, on_or_before

CEILING_SOURCE = ("Government-fixed migration cost ceiling for the destination "
                  "(shared/data/bangladesh/migration_cost_ceilings.csv: {publisher}, "
                  "{reported}, {url}); Overseas Employment and Migrants Act 2013, s.9 "
                  "undertaking not to exceed it")
EMPLOYER_PAYS_SOURCE = ("ILO General Principles and Operational Guidelines for Fair "
                        "Recruitment (employer pays: no recruitment fee or related cost charged "
                        "to workers); IOM IRIS (iris.iom.int)")
UNKNOWN_SOURCE = ("No government ceiling known for this destination in "
                  "migration_cost_ceilings.csv: not compared")
WORKER_PAYS = frozenset({"welfare_fund", "insurance", "passport"})


@dataclass(frozen=True, slots=True)
class Paid:
    """One reported payment, from a fee report or an application row."""

    kind: str  # fee_report | application
    id: int
    agency_id: int
    worker_id: int
    job_order_id: int | None
    destination: str | None
    amount_bdt: float
    purpose: str
    paid_on: dt.date | None


def payments(data: AuditData, today: dt.date) -> list[Paid]:
    """Return every payment workers reported up to ``today`` (unsubstantiated ones left out)."""
    out = []
    for r in data.fee_reports:
        if r.status == "unsubstantiated" or r.paid_on > today or not on_or_before(r.created_at,
                                                                                   today):
            continue
        job = data.jobs.get(r.job_order_id) if r.job_order_id else None
        out.append(Paid("fee_report", r.id, r.agency_id, r.worker_id, r.job_order_id,
                        job.destination if job else None, float(r.amount_bdt), r.purpose,
                        r.paid_on))
    for a in data.applications:
        if a.fee_paid_bdt and a.fee_paid_bdt > 0 and on_or_before(a.created_at, today):
            job = data.jobs[a.job_order_id]
            out.append(Paid("application", a.id, job.agency_id, a.worker_id, job.id,
                            job.destination, float(a.fee_paid_bdt), "unspecified", None))
    return out


def _ev(p: Paid, **extra: object) -> Evidence:
    return Evidence(p.kind, p.id, {"worker_id": p.worker_id, "job_order_id": p.job_order_id,
                                   "amount_bdt": p.amount_bdt, "purpose": p.purpose,
                                   "paid_on": p.paid_on, **extra})


def fee_findings(data: AuditData, today: dt.date) -> list[Finding]:
    """Return ceiling, employer-pays and unknown-ceiling findings, per agency."""
    paid = payments(data, today)
    out: list[Finding] = []
    # Totals per worker and job order (or agency + destination): the ceiling caps the whole cost.
    groups: dict[tuple[int, int, int | None, str | None], list[Paid]] = defaultdict(list)
    for p in paid:
        groups[(p.agency_id, p.worker_id, p.job_order_id, p.destination)].append(p)
    unknown: dict[tuple[int, str | None], list[Paid]] = defaultdict(list)
    for (agency_id, worker_id, job_id, dest), items in sorted(groups.items(),
                                                              key=lambda kv: str(kv[0])):
        ceiling = data.ceilings.get(dest) if dest else None
        if ceiling is None:
            unknown[(agency_id, dest)].extend(items)
            continue
        total = sum(p.amount_bdt for p in items)
        if total > ceiling.amount_bdt:
            ratio = round(total / ceiling.amount_bdt, 2)
            out.append(Finding(
                "fee_above_ceiling", agency_id, "high",
                f"Worker {worker_id} reports paying Tk {total:,.0f} for {dest}, {ratio}× the "
                f"government ceiling of Tk {ceiling.amount_bdt:,}.",
                CEILING_SOURCE.format(publisher=ceiling.publisher, reported=ceiling.reported,
                                      url=ceiling.source_url),
                tuple(_ev(p, destination=dest, ceiling_bdt=ceiling.amount_bdt,
                          total_bdt=total, ratio=ratio) for p in items),
                job_order_id=job_id))
    for (agency_id, dest), items in sorted(unknown.items(), key=lambda kv: str(kv[0])):
        where = dest or "an unnamed destination (no job order given)"
        out.append(Finding(
            "fee_ceiling_unknown", agency_id, "info",
            f"{len(items)} reported fee(s) for {where}: no government ceiling is known, so they "
            "were not compared.", UNKNOWN_SOURCE, tuple(_ev(p, destination=dest) for p in items),
            count=len(items)))
    charged: dict[int, list[Paid]] = defaultdict(list)
    for p in paid:
        if p.purpose not in WORKER_PAYS:
            charged[p.agency_id].append(p)
    for agency_id, items in sorted(charged.items()):
        total = sum(p.amount_bdt for p in items)
        out.append(Finding(
            "fee_charged", agency_id, "medium",
            f"{len(items)} fee(s) totalling Tk {total:,.0f} charged to workers; under the "
            "employer-pays principle workers should pay no recruitment fee or related cost.",
            EMPLOYER_PAYS_SOURCE, tuple(_ev(p) for p in items), count=len(items)))
    return out
