"""The risk score: findings combined with documented weights, shown with its parts; and an
IsolationForest over agency metrics as a second opinion (never the only reason).

Each rule's findings add ``points`` per case, up to ``cap`` cases (so one flood of a minor flag
cannot outweigh a licence breach). Levels: high ≥ 100, medium ≥ 40, low > 0, none = 0.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from registry.audit_rules.base import PLACED, AuditData, Finding
from registry.audit_rules.fees import payments
from registry.compliance import licence_status


@dataclass(frozen=True, slots=True)
class Weight:
    """Points per case of a rule's findings, and how many cases count at most."""

    points: float
    cap: int
    why: str


WEIGHTS: dict[str, Weight] = {
    "licence_open_demand": Weight(40, 1, "recruiting without a licence in force"),
    "licence_placements": Weight(15, 4, "each worker placed without a licence in force"),
    "demand_not_verified": Weight(10, 5, "each worker picked against demand not in order"),
    "demand_matched_unverified": Weight(2, 5, "candidates ranked for demand not in order"),
    "fee_above_ceiling": Weight(8, 5, "each worker charged above the government ceiling"),
    "fee_charged": Weight(1, 10, "each fee charged to a worker (employer pays)"),
    "fee_ceiling_unknown": Weight(0, 0, "not scored: no ceiling to compare with"),
    "contract_substitution": Weight(8, 5, "each contract that differs from the attested order"),
    "wage_below_minimum": Weight(15, 3, "each wage below the known minimum"),
    "employer_no_verified_demand": Weight(10, 3, "workers sent to an unverified employer"),
    "complaints_ignored": Weight(2, 10, "each complaint unanswered beyond the limit"),
    "placements_while_complaints_ignored": Weight(5, 4, "placing workers, complaints ignored"),
    "fee_jump": Weight(10, 2, "a sudden rise in reported fees"),
    "selection_rate_gap": Weight(5, 4, "selection by gender below four-fifths"),
}
LEVELS = ((100.0, "high"), (40.0, "medium"), (0.0, "low"))
MIN_AGENCIES_FOR_FOREST = 8


def risk_level(score: float) -> str:
    """Return high | medium | low | none for a score."""
    if score <= 0:
        return "none"
    return next(name for threshold, name in LEVELS if score >= threshold)


def risk_score(findings: list[Finding]) -> dict[str, Any]:
    """Combine one agency's findings: ``{"score", "level", "parts": [...]}`` where each part is
    ``{"rule", "cases", "counted", "points_each", "points", "why"}``, biggest first."""
    cases: Counter[str] = Counter()
    for f in findings:
        cases[f.rule] += f.count
    parts: list[dict[str, Any]] = []
    for rule, n in cases.items():
        w = WEIGHTS.get(rule, Weight(0, 0, "unweighted rule"))
        counted = min(n, w.cap)
        parts.append({"rule": rule, "cases": n, "counted": counted, "points_each": w.points,
                      "points": round(counted * w.points, 1), "why": w.why})
    parts.sort(key=lambda p: (-p["points"], p["rule"]))
    total = round(sum(float(p["points"]) for p in parts), 1)
    return {"score": total, "level": risk_level(total), "parts": parts}


def agency_metrics(data: AuditData, findings: list[Finding],
                   today: dt.date) -> dict[int, dict[str, float]]:
    """Per-agency figures the second opinion looks at (and shows)."""
    out = {a: {"job_orders": 0.0, "placements": 0.0, "fees_reported": 0.0,
               "share_fees_above_ceiling": 0.0, "max_fee_ratio": 0.0, "complaints": 0.0,
               "open_complaints": 0.0, "licence_not_valid": 0.0, "flagged_cases": 0.0}
           for a in data.agencies}
    for j in data.jobs.values():
        out[j.agency_id]["job_orders"] += 1
    for a in data.applications:
        out[data.agency_of(a)]["placements"] += a.status in PLACED
    above: Counter[int] = Counter()
    for p in payments(data, today):
        m = out[p.agency_id]
        m["fees_reported"] += 1
        ceiling = data.ceilings.get(p.destination) if p.destination else None
        if ceiling:
            ratio = p.amount_bdt / ceiling.amount_bdt
            m["max_fee_ratio"] = max(m["max_fee_ratio"], round(ratio, 2))
            above[p.agency_id] += ratio > 1
    for c in data.complaints:
        out[c.agency_id]["complaints"] += 1
        out[c.agency_id]["open_complaints"] += c.status == "open"
    for agency_id, agency in data.agencies.items():
        m = out[agency_id]
        m["share_fees_above_ceiling"] = round(above[agency_id] / m["fees_reported"], 3) \
            if m["fees_reported"] else 0.0
        m["licence_not_valid"] = float(licence_status(agency, today) != "valid")
    for f in findings:
        if WEIGHTS.get(f.rule, Weight(0, 0, "")).points:
            out[f.agency_id]["flagged_cases"] += f.count
    return out


def isolation_opinion(metrics: dict[int, dict[str, float]],
                      seed: int = 0) -> dict[int, dict[str, Any]]:
    """IsolationForest over the agencies' metrics: per agency ``{"anomaly", "outlier",
    "metrics"}`` (anomaly in [0, 1], higher = more unusual). Empty with fewer than
    ``MIN_AGENCIES_FOR_FOREST`` agencies (too few to say what is usual)."""
    if len(metrics) < MIN_AGENCIES_FOR_FOREST:
        return {}
    import numpy as np
    from sklearn.ensemble import IsolationForest

    ids = sorted(metrics)
    names = sorted(next(iter(metrics.values())))
    x = np.array([[metrics[i][n] for n in names] for i in ids], dtype=float)
    forest = IsolationForest(n_estimators=100, random_state=seed, contamination="auto").fit(x)
    anomaly = -forest.score_samples(x)  # about 0.3 (usual) .. 1 (isolated at once)
    outlier = forest.predict(x) == -1
    return {i: {"anomaly": round(float(anomaly[k]), 3), "outlier": bool(outlier[k]),
                "metrics": metrics[i]} for k, i in enumerate(ids)}
