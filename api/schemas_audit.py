"""Response models of the ministry audit API (``api.routes.audit``): agencies with their risk
score's parts and the second opinion, one agency's findings with evidence, the rule catalogue,
the access log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ConfigDict, Field

from api.schemas import Out, UtcDateTime
from registry.vocab import LicenceState


class ScorePart(Out):
    """One rule's share of an agency's risk score: cases found, cases counted (capped), points."""

    rule: str
    cases: int
    counted: int
    points_each: float
    points: float
    why: str


class SecondOpinion(Out):
    """The IsolationForest's view of an agency's metrics (never the only reason for a flag)."""

    anomaly: float = Field(description="0..1, higher = more unusual among the agencies")
    outlier: bool
    metrics: dict[str, float]


class AgencySummary(Out):
    """One agency's licence, risk score with its parts, flags (rule codes) and metrics."""

    agency_id: int
    name: str
    licence_number: str
    licence_status: LicenceState
    licence_valid_until: dt.date
    district: str | None
    risk_score: float
    risk_level: str = Field(description="high | medium | low | none")
    score_parts: list[ScorePart]
    flags: list[str]
    metrics: dict[str, float]
    second_opinion: SecondOpinion | None = Field(
        description="None when there are too few agencies to say what is usual")


class AgencyAudit(AgencySummary):
    """An agency in the list: its summary and how many findings (scored or not)."""

    findings: int


class AgencyAuditList(Out):
    """Agencies matching the filters, in the requested order (riskiest first by default)."""

    items: list[AgencyAudit]
    total: int


class EvidenceOut(Out):
    """A registry row a finding rests on, with where to see it (``href``: a page or API URL)."""

    kind: str
    id: int | None
    facts: dict[str, Any]
    href: str | None = None


class FindingOut(Out):
    """A rule's finding: what, how serious, the rule's source, the rows it rests on."""

    rule: str
    agency_id: int
    severity: str = Field(description="high | medium | low | info (info is never scored)")
    summary: str
    source: str
    count: int
    job_order_id: int | None
    evidence: list[EvidenceOut]


class TransitionOut(Out):
    """One step of a job order's lifecycle."""

    from_status: str | None = Field(alias="from")
    to: str
    at: UtcDateTime
    by: str
    role: str
    reason: str | None

    model_config = ConfigDict(populate_by_name=True, from_attributes=True)


class AuditJobOrder(Out):
    """A job order of the agency, with its demand-letter facts and lifecycle history."""

    id: int
    title: str
    destination: str
    status: str
    deadline: dt.date
    demand_letter_attested: bool
    recruitment_permission: str | None
    history: list[TransitionOut]


class AgencyAuditDetail(AgencySummary):
    """One agency: its summary, findings with evidence, chart series and job orders."""

    findings: list[FindingOut]
    charts: dict[str, list[dict[str, Any]]]
    job_orders: list[AuditJobOrder]


class RuleOut(Out):
    """A scored rule: points per case, the most cases counted, why, and the rule's source."""

    rule: str
    points_each: float
    cap: int
    why: str
    source: str


class RuleCatalogue(Out):
    """Every rule the risk score combines, and how levels are cut."""

    items: list[RuleOut]
    levels: dict[str, float]


class WorkerRef(Out):
    """A worker named in an access-log row."""

    id: int
    name: str | None


class AccessRow(Out):
    """One look at worker records: who (user and role), when, which workers, for which job
    order (a ranked list is one row naming every worker it showed)."""

    id: int
    at: UtcDateTime | None
    username: str
    role: str
    action: str
    worker_ids: list[int]
    workers: list[WorkerRef]
    job_order_id: int | None
    job_order_title: str | None
    agency_id: int | None


class AccessLogPage(Out):
    """Access-log rows matching the filters, newest first."""

    items: list[AccessRow]
