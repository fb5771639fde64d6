"""Input models for what workers report (fees, contracts, complaints, interest) and for the
demand lifecycle (submitting a demand letter, verifying or rejecting it).

Bounded like ``registry.schemas``: every string by its column's width, amounts by a range,
dates plausible, categories and statuses from the closed lists in ``registry.vocab``.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator

from registry.schemas import MAX_WAGE, Id, InModel, _dates_plausible
from registry.vocab import (
    ComplaintCategory,
    ComplaintStatus,
    FeePurpose,
    JobLifecycleStatus,
    ReportStatus,
)

# Largest fee a worker can report, in taka: well above any reported migration cost (Malaysia
# reports run to US$6,000, about Tk 700,000) without letting a typo grow into a float overflow.
MAX_FEE_BDT = 10_000_000
MAX_NOTE = 4_000


def _past_date(v: dt.date, what: str) -> dt.date:
    _dates_plausible(v, what)
    if v > dt.date.today() + dt.timedelta(days=1):  # a day's slack for time zones
        raise ValueError(f"{what} cannot be in the future")
    return v


class FeeReportIn(InModel):
    """A fee the worker paid: to which agency, for which job order (if known), what for, when."""

    agency_id: Id
    job_order_id: Id | None = None
    amount_bdt: float = Field(gt=0, le=MAX_FEE_BDT, description="what was paid, in taka")
    purpose: FeePurpose
    paid_on: dt.date
    note: str = Field(default="", max_length=MAX_NOTE)

    @field_validator("paid_on")
    @classmethod
    def _paid_on(cls, v: dt.date) -> dt.date:
        return _past_date(v, "paid_on")


class ContractReportIn(InModel):
    """What the worker's actual contract gives, to compare with the attested job order."""

    job_order_id: Id
    wage_amount: float | None = Field(default=None, ge=0, le=MAX_WAGE)
    wage_currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    contract_months: int | None = Field(default=None, ge=1, le=120)
    job_title: str | None = Field(default=None, min_length=1, max_length=200)
    other_terms: str = Field(default="", max_length=MAX_NOTE)


class ComplaintIn(InModel):
    """A complaint against an agency."""

    agency_id: Id
    category: ComplaintCategory
    text: str = Field(min_length=1, max_length=MAX_NOTE)


class ComplaintStatusIn(InModel):
    """Ministry staff move a complaint on (acknowledge, resolve, dismiss) with a note."""

    status: ComplaintStatus
    note: str = Field(default="", max_length=MAX_NOTE)


class ReportStatusIn(InModel):
    """Ministry staff review a fee or contract report."""

    status: ReportStatus
    note: str = Field(default="", max_length=MAX_NOTE)


class InterestIn(InModel):
    """A worker's interest in a job order."""

    job_order_id: Id


class DemandLetterIn(InModel):
    """The demand letter's facts an agency gives when it submits a job order for verification."""

    attestation_number: str = Field(min_length=1, max_length=60)
    attestation_date: dt.date
    attesting_mission: str = Field(min_length=2, max_length=120,
                                   description="e.g. 'Bangladesh Embassy, Riyadh (labour wing)'")
    recruitment_permission: str = Field(min_length=1, max_length=40)
    demand_letter_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    demand_letter_filename: str | None = Field(default=None, max_length=200)

    @field_validator("attestation_date")
    @classmethod
    def _attested(cls, v: dt.date) -> dt.date:
        return _past_date(v, "attestation_date")


class JobTransitionIn(InModel):
    """Move a job order along its lifecycle; a reason is required to reject."""

    to: JobLifecycleStatus
    reason: str = Field(default="", max_length=MAX_NOTE)
