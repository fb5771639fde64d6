"""What the auditor's API and pages call: every rule over the registry, per-agency scores with
their parts and the second opinion, and one agency's findings, charts and job-order history.

Supersedes ``registry.audit.agency_risk`` (kept for the current route until it moves here).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from registry.audit_rules.base import PLACED, AuditData, Finding, load_audit_data
from registry.audit_rules.contract import contract_findings
from registry.audit_rules.demand import demand_findings
from registry.audit_rules.fairness import fairness_findings, selection_rates
from registry.audit_rules.fees import fee_findings, payments
from registry.audit_rules.licence import licence_findings
from registry.audit_rules.red_flags import (
    COMPLAINT_DAYS,
    complaint_findings,
    employer_findings,
    fee_jump_findings,
    wage_findings,
)
from registry.audit_rules.score import (
    WEIGHTS,
    agency_metrics,
    isolation_opinion,
    risk_score,
)
from registry.compliance import licence_status
from registry.service import NotFoundError

Rule = Callable[[AuditData, dt.date], list[Finding]]
RULES: tuple[Rule, ...] = (licence_findings, demand_findings, fee_findings, contract_findings,
                           wage_findings, employer_findings, fee_jump_findings,
                           fairness_findings)


def run_rules(data: AuditData, today: dt.date,
              complaint_days: int = COMPLAINT_DAYS) -> list[Finding]:
    """Run every rule; return all findings (rule order, then as each rule orders them)."""
    out: list[Finding] = []
    for rule in RULES:
        out.extend(rule(data, today))
    out.extend(complaint_findings(data, today, complaint_days))
    return out


def _summaries(data: AuditData, findings: list[Finding],
               today: dt.date) -> dict[int, dict[str, Any]]:
    by_agency: dict[int, list[Finding]] = defaultdict(list)
    for f in findings:
        by_agency[f.agency_id].append(f)
    metrics = agency_metrics(data, findings, today)
    forest = isolation_opinion(metrics)
    rows = {}
    for agency_id, agency in data.agencies.items():
        own = by_agency.get(agency_id, [])
        score = risk_score(own)
        rows[agency_id] = {
            "agency_id": agency_id, "name": agency.name,
            "licence_number": agency.licence_number,
            "licence_status": licence_status(agency, today),
            "licence_valid_until": agency.licence_valid_until.isoformat(),
            "district": agency.district,
            "risk_score": score["score"], "risk_level": score["level"],
            "score_parts": score["parts"],
            "flags": sorted({f.rule for f in own if f.severity != "info"}),
            "findings": len(own),
            "metrics": metrics[agency_id],
            "second_opinion": forest.get(agency_id),
        }
    return rows


def audit_agencies(session: Session, data_dir: Path, today: dt.date, *,
                   complaint_days: int = COMPLAINT_DAYS) -> list[dict[str, Any]]:
    """One row per agency, riskiest first: licence, score with its parts, flags (rule codes),
    the metrics and the IsolationForest's second opinion (``None`` when too few agencies)."""
    data = load_audit_data(session, data_dir)
    rows = _summaries(data, run_rules(data, today, complaint_days), today)
    return sorted(rows.values(), key=lambda r: (-r["risk_score"], r["agency_id"]))


def audit_agency(session: Session, data_dir: Path, agency_id: int, today: dt.date, *,
                 complaint_days: int = COMPLAINT_DAYS) -> dict[str, Any]:
    """One agency: its summary row, findings with evidence, chart series, job orders with their
    lifecycle history. Raises ``NotFoundError`` for an unknown agency."""
    data = load_audit_data(session, data_dir)
    if agency_id not in data.agencies:
        raise NotFoundError(f"agency {agency_id} not found")
    findings = run_rules(data, today, complaint_days)
    summary = _summaries(data, findings, today)[agency_id]
    own = [f for f in findings if f.agency_id == agency_id]
    return {**summary,
            "findings": [f.to_dict() for f in own],
            "charts": agency_charts(data, agency_id, today),
            "job_orders": [{
                "id": j.id, "title": j.title, "destination": j.destination, "status": j.status,
                "deadline": j.deadline.isoformat(),
                "demand_letter_attested": j.demand_letter_attested,
                "recruitment_permission": j.recruitment_permission,
                "history": [{"from": t.from_status, "to": t.to_status, "at": t.at.isoformat(),
                             "by": t.username, "role": t.role, "reason": t.reason}
                            for t in data.transitions.get(j.id, [])]}
                for j in data.jobs_of(agency_id)]}


def agency_charts(data: AuditData, agency_id: int, today: dt.date) -> dict[str, Any]:
    """Series for the agency page's charts: fees against the ceiling per destination,
    placements per month, complaints by category and status, selection rate by gender."""
    fees: dict[str, list[float]] = defaultdict(list)
    for p in payments(data, today):
        if p.agency_id == agency_id:
            fees[p.destination or "unknown"].append(p.amount_bdt)
    fee_rows = []
    for dest, amounts in sorted(fees.items()):
        ceiling = data.ceilings.get(dest)
        fee_rows.append({"destination": dest, "reports": len(amounts),
                         "median_bdt": sorted(amounts)[len(amounts) // 2],
                         "max_bdt": max(amounts),
                         "ceiling_bdt": ceiling.amount_bdt if ceiling else None})
    months: Counter[str] = Counter()
    for a in data.applications:
        if a.status == "deployed" and data.agency_of(a) == agency_id:
            months[(a.updated_at or a.created_at).strftime("%Y-%m")] += 1
    complaints: Counter[tuple[str, str]] = Counter(
        (c.category, c.status) for c in data.complaints if c.agency_id == agency_id)
    rates = [r.to_dict() for r in selection_rates(data, today) if r.agency_id == agency_id]
    return {"fees_by_destination": fee_rows,
            "placements_by_month": [{"month": m, "placements": n}
                                    for m, n in sorted(months.items())],
            "complaints": [{"category": c, "status": s, "count": n}
                           for (c, s), n in sorted(complaints.items())],
            "selection_rates": rates}


def rule_catalogue() -> list[dict[str, Any]]:
    """Every scored rule with its weight, cap and reason (for the page's legend and the docs)."""
    return [{"rule": r, "points_each": w.points, "cap": w.cap, "why": w.why}
            for r, w in WEIGHTS.items()]


__all__ = ["PLACED", "RULES", "agency_charts", "audit_agencies", "audit_agency",
           "rule_catalogue", "run_rules"]
