"""Contract substitution: the wage or terms a worker reports differ from the attested job order.

Compared: the wage (a lower amount, or another currency), the contract length, the job itself
(title), and any other term the worker says differs. A higher wage is not a substitution.
Applications marked ``contract_substituted`` (older data) count too.

Source: the demand letter attested by the mission fixes trade, wage, hours and terms
(en.prothomalo.com; itrade.com.bd, in shared/DOMAIN.md); ILO General Principles and Operational
Guidelines for Fair Recruitment (terms of employment agreed in writing, no substitution).
"""

from __future__ import annotations

import datetime as dt

from registry.audit_rules.base import AuditData, Evidence, Finding, on_or_before
from registry.models import ContractReport, JobOrder

SOURCE = ("Attested demand letter fixes trade, wage, hours and terms (en.prothomalo.com; "
          "itrade.com.bd); ILO General Principles and Operational Guidelines for Fair "
          "Recruitment: written terms, no contract substitution")


def differences(report: ContractReport, job: JobOrder) -> list[str]:
    """Return how a worker's reported contract differs from the job order, in words."""
    out = []
    if report.wage_amount is not None and job.wage_amount is not None:
        if report.wage_currency and job.wage_currency and report.wage_currency != job.wage_currency:
            out.append(f"wage paid in {report.wage_currency}, not {job.wage_currency}")
        elif report.wage_amount < job.wage_amount:
            out.append(f"wage {report.wage_amount:,.0f} instead of {job.wage_amount:,.0f} "
                       f"{job.wage_currency or ''}".rstrip())
    if (report.contract_months is not None and job.contract_months is not None
            and report.contract_months != job.contract_months):
        out.append(f"{report.contract_months}-month contract instead of {job.contract_months}")
    if report.job_title and report.job_title.strip().casefold() != job.title.strip().casefold():
        out.append(f"work as {report.job_title!r} instead of {job.title!r}")
    if report.other_terms.strip():
        out.append(f"other terms: {report.other_terms.strip()[:200]}")
    return out


def contract_findings(data: AuditData, today: dt.date) -> list[Finding]:
    """One finding per contract report (or marked application) that differs from its order."""
    out = []
    for r in data.contract_reports:
        if r.status == "unsubstantiated" or not on_or_before(r.created_at, today):
            continue
        job = data.jobs[r.job_order_id]
        diff = differences(r, job)
        if diff:
            out.append(Finding(
                "contract_substitution", job.agency_id, "high",
                f"Worker {r.worker_id}'s contract for job order {job.id} differs: "
                + "; ".join(diff) + ".", SOURCE,
                (Evidence("contract_report", r.id, {
                    "worker_id": r.worker_id, "wage_amount": r.wage_amount,
                    "wage_currency": r.wage_currency, "contract_months": r.contract_months,
                    "job_title": r.job_title, "differences": diff}),
                 Evidence("job_order", job.id, {
                     "title": job.title, "wage_amount": job.wage_amount,
                     "wage_currency": job.wage_currency,
                     "contract_months": job.contract_months})),
                job_order_id=job.id))
    for a in data.applications:
        if a.contract_substituted and on_or_before(a.created_at, today):
            job = data.jobs[a.job_order_id]
            out.append(Finding(
                "contract_substitution", job.agency_id, "high",
                f"Worker {a.worker_id}'s contract for job order {job.id} was recorded as "
                "substituted.", SOURCE,
                (Evidence("application", a.id, {"worker_id": a.worker_id, "status": a.status,
                                                 "contract_substituted": True}),
                 Evidence("job_order", job.id, {"title": job.title})), job_order_id=job.id))
    return out
