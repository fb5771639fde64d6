"""Fairness: selection rate by gender per agency and per job order, with the four-fifths rule.

A worker "considered" is one with an application to the job order; "selected" is selected or
deployed. The ratio is the lower group's rate over the higher's; below 4/5 is adverse impact.
Groups smaller than ``MIN_GROUP`` are reported with their counts but never flagged (too few to
say). Job orders with a legal gender rule (e.g. women-only domestic work) are left out: there
the difference is the law's, not the agency's.

Source: the four-fifths rule, Uniform Guidelines on Employee Selection Procedures (1978),
29 CFR 1607.4(D).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from registry.audit_rules.base import PLACED, AuditData, Evidence, Finding, on_or_before

SOURCE = ("Four-fifths rule: Uniform Guidelines on Employee Selection Procedures (1978), "
          "29 CFR 1607.4(D)")
FOUR_FIFTHS = 0.8
MIN_GROUP = 5
GENDERS = ("female", "male")


@dataclass
class SelectionRate:
    """Selection counts and rates by gender for one agency or one job order."""

    scope: str  # agency | job_order
    id: int
    agency_id: int
    considered: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GENDERS, 0))
    selected: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GENDERS, 0))

    def rates(self) -> dict[str, float | None]:
        """Selection rate per gender (None where nobody of that gender was considered)."""
        return {g: (self.selected[g] / self.considered[g] if self.considered[g] else None)
                for g in GENDERS}

    def impact_ratio(self) -> float | None:
        """Lower rate over higher rate; None when a group is empty or nobody was selected."""
        rates = [r for r in self.rates().values() if r is not None]
        if len(rates) < len(GENDERS) or max(rates) == 0:
            return None
        return min(rates) / max(rates)

    def enough_data(self) -> bool:
        """Whether every group has at least ``MIN_GROUP`` workers considered."""
        return all(self.considered[g] >= MIN_GROUP for g in GENDERS)

    def adverse(self) -> bool:
        """Whether the four-fifths rule is broken on enough data."""
        ratio = self.impact_ratio()
        return self.enough_data() and ratio is not None and ratio < FOUR_FIFTHS

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict with the counts behind the rates."""
        ratio = self.impact_ratio()
        return {"scope": self.scope, "id": self.id, "agency_id": self.agency_id,
                "considered": dict(self.considered), "selected": dict(self.selected),
                "rates": {g: (round(r, 3) if r is not None else None)
                          for g, r in self.rates().items()},
                "impact_ratio": round(ratio, 3) if ratio is not None else None,
                "enough_data": self.enough_data(), "adverse": self.adverse()}


def selection_rates(data: AuditData, today: dt.date) -> list[SelectionRate]:
    """Return the per-agency and per-job-order selection counts (agencies first, by id)."""
    agencies: dict[int, SelectionRate] = {}
    jobs: dict[int, SelectionRate] = {}
    for a in data.applications:
        job = data.jobs[a.job_order_id]
        gender = data.genders.get(a.worker_id)
        if job.gender_rule or gender not in GENDERS or not on_or_before(a.created_at, today):
            continue
        assert gender is not None
        for scope, key, table in (("agency", job.agency_id, agencies),
                                  ("job_order", job.id, jobs)):
            row = table.get(key)
            if row is None:
                row = table[key] = SelectionRate(scope, key, job.agency_id)
            row.considered[gender] += 1
            row.selected[gender] += a.status in PLACED
    return ([agencies[k] for k in sorted(agencies)] + [jobs[k] for k in sorted(jobs)])


def fairness_findings(data: AuditData, today: dt.date) -> list[Finding]:
    """Flag agencies and job orders whose selection rates break the four-fifths rule."""
    out = []
    for row in selection_rates(data, today):
        if not row.adverse():
            continue
        rates = row.rates()
        low = min(GENDERS, key=lambda g: rates[g] or 0.0)
        what = f"agency {row.id}" if row.scope == "agency" else f"job order {row.id}"
        out.append(Finding(
            "selection_rate_gap", row.agency_id, "medium",
            f"At {what}, {low} workers were selected at {row.impact_ratio():.2f} times the rate "
            f"of the others (below the four-fifths threshold): "
            + ", ".join(f"{g} {row.selected[g]}/{row.considered[g]}" for g in GENDERS) + ".",
            SOURCE, (Evidence("counts", row.id, row.to_dict()),),
            job_order_id=row.id if row.scope == "job_order" else None))
    return out
