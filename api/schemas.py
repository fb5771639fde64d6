"""Response models: the JSON every API route answers with, as the OpenAPI spec describes it.

Input models live in ``registry.schemas`` (the registry validates what it stores); these are
what goes out. Routes whose records have fields only some callers see (identity numbers, a
concept's code) answer with ``response_model_exclude_unset``: a field the serializer did not
set is left out, not sent as ``null``. ``api.serializers`` builds them from records.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from registry.vocab import ApplicationStatus, Gender, JobStatus, LicenceState


def _as_utc(value: dt.datetime) -> dt.datetime:
    """The registry stores UTC times without a zone; answers carry it (RFC 3339 date-time)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


UtcDateTime = Annotated[dt.datetime, AfterValidator(_as_utc)]
ScoreParts = dict[str, float]  # keyword, embedding, skills, occupation, experience → 0..1


class Out(BaseModel):
    """Base of the response models."""

    model_config = ConfigDict(from_attributes=True)


# -- operations and sign-in ------------------------------------------------------------------------
class Health(Out):
    """Liveness and readiness."""

    status: str = Field(description="ok, or degraded when the database does not answer")
    database: bool
    search_backend: str
    uptime_s: float


class Token(Out):
    """A bearer token (OAuth2 password flow)."""

    access_token: str
    token_type: str = "bearer"


# -- agencies and job orders -----------------------------------------------------------------------
class AgencyOut(Out):
    """A recruiting agency with its licence status as of today."""

    id: int
    name: str
    licence_number: str
    licence_status: LicenceState
    licence_valid_until: dt.date
    district: str | None
    version: int


class AgencyList(Out):
    """A page of agencies."""

    items: list[AgencyOut]
    total: int


class EmployerOut(Out):
    """A foreign employer; an inactive one's job orders are not matchable."""

    id: int
    name: str
    country: str
    sector: str | None
    active: bool
    version: int


class EmployerList(Out):
    """A page of employers."""

    items: list[EmployerOut]
    total: int


class EmployerRef(Out):
    """The employer named in a demand letter."""

    id: int
    name: str


class Wage(Out):
    """A monthly wage (amount in the currency given)."""

    amount: float | None
    currency: str | None


class JobOrderOut(Out):
    """A job order with whether its demand is verified and whether it can be matched today."""

    id: int
    title: str
    destination: str
    status: JobStatus
    occupation_uri: str | None
    description: str
    employer: EmployerRef
    agency: AgencyOut
    required_skills: list[str]
    optional_skills: list[str]
    headcount: int
    wage: Wage
    contract_months: int | None
    age_band: Annotated[list[int], Field(min_length=2, max_length=2,
                                         description="[min_age, max_age]")]
    gender_rule: Gender | None
    domestic_work: bool
    required_ntvqf_level: int
    languages: list[str]
    medical_required: bool
    demand_letter_attested: bool
    recruitment_permission: str | None
    deadline: dt.date
    verified: bool
    matchable: bool
    why_not_matchable: list[str] = Field(description="why it cannot be matched today, in "
                                         "plain sentences (empty when it can)")
    why_not_matchable_codes: list[str] = Field(
        default=[], description="the same reasons as stable codes, in the same order "
        "(status_draft, status_submitted, status_rejected, status_expired, status_closed, "
        "not_verified, deadline_passed, no_agency, licence_not_valid, employer_inactive)")
    version: int


class JobOrderList(Out):
    """A page of job orders."""

    items: list[JobOrderOut]
    total: int


class Candidate(Out):
    """One ranked worker for a job order, with why they fit."""

    worker_id: int
    score: float
    score_parts: ScoreParts
    matched_skills: list[str] = Field(description="skill labels the worker has")
    missing_skills: list[str] = Field(description="required or optional skill labels lacking")


class CandidateList(Out):
    """The eligible workers for a job order, best first, and who each rule excluded."""

    job_order_id: int
    items: list[Candidate]
    excluded: dict[str, int] = Field(description="rule code → workers it excluded")
    eligible_total: int


class OutcomeOut(Out):
    """The worker's application status for a job order after an officer's decision."""

    job_order_id: int
    worker_id: int
    status: ApplicationStatus
    version: int
    created: bool = Field(description="whether this decision opened the application")


# -- workers ---------------------------------------------------------------------------------------
class ExperienceOut(Out):
    """Years worked in one ESCO occupation."""

    model_config = ConfigDict(extra="allow")

    occupation_uri: str
    years: float
    country: str | None = None


class WorkerOut(Out):
    """A worker profile. Identity numbers only for the worker and admins (absent otherwise)."""

    id: int
    full_name: str
    date_of_birth: dt.date
    gender: Gender
    district: str | None
    passport_expiry: dt.date | None
    medical_fit: bool
    ntvqf_level: int
    certificates: list[str]
    languages: list[str]
    experience: list[ExperienceOut]
    skills: list[str]
    self_description: str
    bmet_registered: bool
    consent: bool
    version: int
    phone: str | None = Field(default=None, description="the worker and admins only")
    nid_number: str | None = Field(default=None, description="the worker and admins only")
    passport_number: str | None = Field(default=None, description="the worker and admins only")
    bmet_registration: str | None = Field(default=None,
                                          description="the worker and admins only")


class Gap(Out):
    """Something a worker lacks for a job: a rule they fail (with the fix) or a skill."""

    kind: str = Field(description="'skill', or the eligibility rule's code")
    what: str
    what_bn: str | None = Field(default=None, description="rules only: the reason in Bangla")
    fix: str | None = Field(default=None, description="rules only: what would fix it")


class AgencyLicence(Out):
    """The agency of a job order and its licence, as a worker sees it."""

    id: int
    name: str
    licence_number: str
    licence_status: LicenceState


class JobMatch(Out):
    """A matchable job order for a worker, with the legal cost ceiling and what is missing."""

    job_order_id: int
    title: str
    score: float
    score_parts: ScoreParts
    destination: str
    cost_ceiling_bdt: int | None
    cost_ceiling_source: str | None
    wage: Wage
    deadline: dt.date
    agency: AgencyLicence
    matched_skills: list[str]
    missing: list[Gap] = Field(description="failed rules first, then missing skills")


class EligibleJobs(Out):
    """Jobs the worker is eligible for, and jobs they could become eligible for."""

    items: list[JobMatch]
    not_eligible: list[JobMatch]


# -- audit: api/schemas_audit.py


# -- taxonomy --------------------------------------------------------------------------------------
class Concept(Out):
    """An ESCO occupation or skill with its score (``code``: occupations only)."""

    uri: str
    code: str | None = Field(default=None, description="ESCO/ISCO code (occupations only)")
    label: str
    score: float


class ConceptResults(Out):
    """Ranked concepts for a query."""

    query: str
    results: list[Concept]


class Suggestions(Out):
    """Suggested occupations and skills for a text."""

    occupations: list[Concept]
    skills: list[Concept]
