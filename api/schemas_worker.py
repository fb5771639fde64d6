"""Response models of the worker's own actions (``api/routes/me_reports.py``): a job as the
worker sees it, interests, fee reports, complaints, profile completeness, skill suggestions."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from api.schemas import AgencyLicence, EmployerRef, Gap, Out, UtcDateTime, Wage
from registry.vocab import (
    ComplaintCategory,
    ComplaintStatus,
    FeePurpose,
    InterestStatus,
    ReportStatus,
)


class TakaWageOut(Out):
    """A monthly wage in taka at a dated exchange rate (the admin maintains the rates)."""

    amount_bdt: float
    rate: float = Field(description="taka per unit of the wage's currency")
    rate_date: dt.date
    source: str


class CostRule(Out):
    """The legal cost rule for the job's destination, stated plainly."""

    ceiling_bdt: int | None = Field(description="government-fixed maximum migration cost")
    ceiling_reported: str | None
    ceiling_source: str | None
    employer_pays: bool = Field(True, description="the worker should pay no recruitment fee")
    report_url: str = Field(description="where to report a demand above the ceiling")


class InterestOut(Out):
    """A worker's interest in a job order and its status."""

    id: int
    job_order_id: int
    status: InterestStatus
    created_at: UtcDateTime
    withdrawn_at: UtcDateTime | None


class WorkerJobOut(Out):
    """A job order as the signed-in worker sees it: facts, eligibility with fixes, cost rule."""

    job_order_id: int
    title: str
    destination: str
    employer: EmployerRef
    agency: AgencyLicence
    wage: Wage
    wage_bdt: TakaWageOut | None
    contract_months: int | None
    deadline: dt.date
    required_skills: list[str]
    required_ntvqf_level: int
    languages: list[str]
    medical_required: bool
    age_band: list[int]
    open_to_workers: bool
    eligible: bool
    failures: list[Gap]
    cost_rule: CostRule
    interest: InterestOut | None


class FeeReportOut(Out):
    """A fee the worker reported, and where it stands."""

    id: int
    agency_id: int
    job_order_id: int | None
    amount_bdt: float
    purpose: FeePurpose
    paid_on: dt.date
    note: str
    status: ReportStatus
    status_note: str | None
    created_at: UtcDateTime


class ComplaintOut(Out):
    """A complaint the worker filed, and where it stands."""

    id: int
    agency_id: int
    category: ComplaintCategory
    text: str
    status: ComplaintStatus
    status_note: str | None
    created_at: UtcDateTime


class Completeness(Out):
    """How complete the worker's profile is, and what is still empty."""

    percent: int = Field(ge=0, le=100)
    missing: list[str]


class SkillSuggestion(Out):
    """An ESCO skill matching what the worker typed."""

    uri: str
    label: str
    label_bn: str | None


class SkillSuggestions(Out):
    """Skills whose name (English or Bangla) contains the typed text."""

    query: str
    items: list[SkillSuggestion]


class InterestList(Out):
    """The worker's interests, newest first."""

    items: list[InterestOut]


class FeeReportList(Out):
    """The worker's fee reports, newest first."""

    items: list[FeeReportOut]


class ComplaintList(Out):
    """The worker's complaints, newest first."""

    items: list[ComplaintOut]
