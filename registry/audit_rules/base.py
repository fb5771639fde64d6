"""What every audit rule works on and returns: a snapshot of registry rows, findings, evidence.

A rule is a plain function ``rule(data: AuditData, today: dt.date) -> list[Finding]``: no I/O,
no clock of its own. ``load_audit_data`` reads the registry once for all rules.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.compliance import CostCeiling, cost_ceilings
from registry.models import (
    AccessLog,
    Agency,
    Application,
    Complaint,
    ContractReport,
    Employer,
    FeeReport,
    JobOrder,
    JobOrderTransition,
    Worker,
)

MINIMUM_WAGES_CSV = Path(__file__).resolve().parent.parent / "data" / "minimum_wages.csv"
# Outcomes that mean a worker was picked for the job order (a placement once deployed).
PICKED = frozenset({"shortlisted", "selected", "deployed"})
PLACED = frozenset({"selected", "deployed"})


@dataclass(frozen=True, slots=True)
class Evidence:
    """One registry row a finding rests on: its kind (table), id and the facts that matter."""

    kind: str  # agency | job_order | application | fee_report | contract_report | complaint
    #           | transition | access_log | employer | counts
    id: int | None
    facts: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"kind": self.kind, "id": self.id, "facts": _jsonable(self.facts)}


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule's finding about one agency, with the rows it rests on and the rule's source.

    ``count`` is how many cases the finding covers (what the risk score multiplies);
    ``severity`` is high | medium | low | info (info: reported, never scored, e.g. unknown).
    """

    rule: str
    agency_id: int
    severity: str
    summary: str
    source: str
    evidence: tuple[Evidence, ...]
    count: int = 1
    job_order_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"rule": self.rule, "agency_id": self.agency_id, "severity": self.severity,
                "summary": self.summary, "source": self.source, "count": self.count,
                "job_order_id": self.job_order_id,
                "evidence": [e.to_dict() for e in self.evidence]}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class MinimumWage:
    """A known wage floor for a destination and occupation, with its source."""

    destination: str
    occupation: str
    amount: float
    currency: str
    reported: str
    publisher: str
    source_url: str


@lru_cache(maxsize=2)
def minimum_wages(path: Path = MINIMUM_WAGES_CSV) -> dict[tuple[str, str], MinimumWage]:
    """Return the sourced wage floors keyed by (destination, occupation)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return {(r["destination"], r["occupation"]): MinimumWage(
            r["destination"], r["occupation"], float(r["amount"]), r["currency"],
            r["reported_date"], r["publisher"], r["source_url"]) for r in csv.DictReader(fh)}


@dataclass
class AuditData:
    """The registry rows the rules read (one snapshot), and the sourced figures."""

    agencies: dict[int, Agency]
    employers: dict[int, Employer]
    jobs: dict[int, JobOrder]
    applications: list[Application]
    fee_reports: list[FeeReport]
    contract_reports: list[ContractReport]
    complaints: list[Complaint]
    transitions: dict[int, list[JobOrderTransition]]
    rank_views: list[AccessLog]
    genders: dict[int, str]
    ceilings: dict[str, CostCeiling]
    wage_floors: dict[tuple[str, str], MinimumWage] = field(default_factory=minimum_wages)

    def agency_of(self, app: Application) -> int:
        """Return the agency id of an application's job order."""
        return self.jobs[app.job_order_id].agency_id

    def jobs_of(self, agency_id: int) -> list[JobOrder]:
        """Return an agency's job orders, by id."""
        return [j for j in self.jobs.values() if j.agency_id == agency_id]


def load_audit_data(session: Session, data_dir: Path) -> AuditData:
    """Read everything the rules need from the registry (one query per table)."""
    transitions: dict[int, list[JobOrderTransition]] = defaultdict(list)
    for t in session.scalars(select(JobOrderTransition).order_by(JobOrderTransition.at,
                                                                 JobOrderTransition.id)):
        transitions[t.job_order_id].append(t)
    return AuditData(
        agencies={a.id: a for a in session.scalars(select(Agency).order_by(Agency.id))},
        employers={e.id: e for e in session.scalars(select(Employer).order_by(Employer.id))},
        jobs={j.id: j for j in session.scalars(select(JobOrder).order_by(JobOrder.id))},
        applications=list(session.scalars(select(Application).order_by(Application.id))),
        fee_reports=list(session.scalars(select(FeeReport).order_by(FeeReport.id))),
        contract_reports=list(session.scalars(select(ContractReport).order_by(ContractReport.id))),
        complaints=list(session.scalars(select(Complaint).order_by(Complaint.id))),
        transitions=dict(transitions),
        rank_views=list(session.scalars(select(AccessLog).where(
            AccessLog.action == "rank_candidates", AccessLog.job_order_id.is_not(None))
            .order_by(AccessLog.id))),
        genders={r.id: r.gender for r in session.execute(select(Worker.id, Worker.gender))},
        ceilings=cost_ceilings(Path(data_dir)),
    )


def on_or_before(moment: dt.datetime | None, today: dt.date) -> bool:
    """Whether a row's time is not after ``today`` (rows 'from the future' are ignored)."""
    return moment is None or moment.date() <= today


def application_moment(app: Application) -> dt.datetime:
    """When the application's current step was taken (first shortlisting: created_at)."""
    if app.status == "shortlisted" or app.updated_at is None:
        return app.created_at
    return app.updated_at
