"""Response and request models of the demand lifecycle and the admin API (issue 12)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import UtcDateTime
from registry.report_schemas import MAX_NOTE
from registry.schemas import InModel
from registry.vocab import JobStatus


class ReasonIn(InModel):
    """Why a step is taken: required to reject; optional (may be empty) to verify or close.

    An input model like every other (``InModel``: unknown fields refused, NUL and lone
    surrogates refused before anything is stored)."""

    reason: str = Field(default="", max_length=MAX_NOTE)


class TransitionOut(BaseModel):
    """One step of a job order's lifecycle: who, when, from, to, why."""

    model_config = ConfigDict(from_attributes=True)

    from_status: JobStatus | None
    to_status: JobStatus
    username: str
    role: str
    at: UtcDateTime
    reason: str


class DemandLetterOut(BaseModel):
    """The demand letter's facts as submitted (empty until the agency submits)."""

    attestation_number: str | None
    attestation_date: dt.date | None
    attesting_mission: str | None
    recruitment_permission: str | None
    sha256: str | None
    filename: str | None
    attested: bool = Field(description="ministry staff verified the letter")


class JobHistoryOut(BaseModel):
    """A job order's status today, why it is not matchable, its letter and its transitions."""

    job_order_id: int
    status: JobStatus
    matchable: bool
    why_not_matchable: list[str]
    why_not_matchable_codes: list[str] = Field(default=[], description="the same reasons as "
                                               "stable codes (as JobOrderOut's)")
    demand_letter: DemandLetterOut
    transitions: list[TransitionOut]


class ExpiryOut(BaseModel):
    """What an expiry run changed."""

    expired: list[int]
