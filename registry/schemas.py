"""Pydantic models for records coming in (API, CSV, CLI) and going out.

Every model here is bounded: strings by the width of the column they go to, lists by a count,
numbers by a range, floats finite; text with unpaired surrogates or NUL characters (which no
database stores) is refused with a 422 naming the field, before anything is stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from registry.vocab import (
    ATTESTED_WORKER_FIELDS,
    MAX_ID,
    Gender,
    LicenceStatus,
    OutcomeStatus,
    normalise_languages,
)

ESCO_SKILL = "http://data.europa.eu/esco/skill/"
ESCO_OCCUPATION = "http://data.europa.eu/esco/occupation/"
MAX_TEXT = 20_000
MAX_WAGE = 1e9  # a month's wage in any currency (KRW and IDR wages run to millions)


def _check_uris(values: list[str], prefix: str, what: str) -> list[str]:
    bad = [v for v in values if not v.startswith(prefix)]
    if bad:
        raise ValueError(f"not an ESCO {what} URI: {bad[0][:120]!r}")
    return list(dict.fromkeys(values))


def _clean_text(value: Any, path: str = "") -> None:
    """Raise ValueError if any string inside ``value`` has a NUL or an unpaired surrogate."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{path or 'text'}: NUL characters are not allowed")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{path or 'text'}: not valid Unicode text (unpaired surrogate)"
                             ) from None
    elif isinstance(value, dict):
        for k, v in value.items():
            _clean_text(k, path)
            _clean_text(v, f"{path}.{k}" if path else str(k)[:60])
    elif isinstance(value, list | tuple):
        for v in value:
            _clean_text(v, path)


class InModel(BaseModel):
    """Base of every input model: unknown fields refused, floats finite, text valid Unicode."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_max_length=MAX_TEXT)

    # Fields a partial update may leave out but never set to null (their columns are NOT NULL):
    # an explicit null is a 422 naming the field, never a stored null or a 500.
    NOT_NULL: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        _clean_text(data)
        return data

    @model_validator(mode="after")
    def _no_null_for_required_columns(self) -> InModel:
        nulls = sorted(f for f in self.model_fields_set & self.NOT_NULL if getattr(self, f) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} may be left out but not set to null")
        return self


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Short = Annotated[str, Field(max_length=60)]
SkillUri = Annotated[str, Field(min_length=len(ESCO_SKILL) + 1, max_length=200)]
Certificate = Annotated[str, Field(min_length=1, max_length=120)]
Languages = Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=10),
                      AfterValidator(normalise_languages)]
MAX_SKILLS = 200


class AttestationIn(InModel):
    """Who vouches for attested facts (medical fitness, BMET registration, certificates,
    passport) and on what document: required whenever one of those facts is set."""

    source: str = Field(min_length=3, max_length=200,
                        description="the document seen, e.g. 'GAMCA medical report 12345'")
    reference: str | None = Field(default=None, max_length=100)


class ExperienceIn(InModel):
    """Years worked in one ESCO occupation."""

    occupation_uri: str = Field(max_length=120)
    years: float = Field(ge=0, le=60)
    country: str | None = Field(default=None, max_length=80)

    @field_validator("occupation_uri")
    @classmethod
    def _uri(cls, v: str) -> str:
        return _check_uris([v], ESCO_OCCUPATION, "occupation")[0]


def _dates_plausible(v: dt.date | None, what: str) -> dt.date | None:
    if v is not None and not dt.date(1900, 1, 1) <= v <= dt.date(2200, 12, 31):
        raise ValueError(f"{what} must be a real date between 1900 and 2200")
    return v


class WorkerIn(InModel):
    """A worker profile as created by an admin or registration.

    Attested facts (``ATTESTED_WORKER_FIELDS``) need an ``attestation`` naming the document.
    """

    full_name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    nid_number: str | None = Field(default=None, max_length=30)
    date_of_birth: dt.date
    gender: Gender
    district: Short | None = None
    religion: str | None = Field(default=None, max_length=30)
    passport_number: str | None = Field(default=None, max_length=20)
    passport_expiry: dt.date | None = None
    medical_fit: bool = False
    medical_date: dt.date | None = None
    ntvqf_level: int = Field(default=0, ge=0, le=6)
    certificates: list[Certificate] = Field(default=[], max_length=20)
    languages: Languages = []
    experience: list[ExperienceIn] = Field(default=[], max_length=30)
    skills: list[SkillUri] = Field(default=[], max_length=MAX_SKILLS)
    self_description: str = Field(default="", max_length=MAX_TEXT)
    bmet_registration: str | None = Field(default=None, max_length=40)
    consent: bool = False
    attestation: AttestationIn | None = None

    NOT_NULL = frozenset({"certificates", "consent", "experience", "full_name", "languages",
                          "medical_fit", "ntvqf_level", "self_description", "skills"})

    @field_validator("skills")
    @classmethod
    def _skills(cls, v: list[str]) -> list[str]:
        return _check_uris(v, ESCO_SKILL, "skill")

    @field_validator("date_of_birth")
    @classmethod
    def _dob(cls, v: dt.date) -> dt.date:
        if not dt.date(1920, 1, 1) <= v <= dt.date.today():
            raise ValueError("date_of_birth must be a real past date")
        return v

    @field_validator("passport_expiry", "medical_date")
    @classmethod
    def _plausible(cls, v: dt.date | None) -> dt.date | None:
        return _dates_plausible(v, "the date")

    def attested_fields(self) -> set[str]:
        """Return the attested facts this record sets to something other than the default."""
        return {f for f in ATTESTED_WORKER_FIELDS
                if getattr(self, f) not in (None, False, 0, [])}

    @model_validator(mode="after")
    def _needs_attestation(self) -> WorkerIn:
        if self.attested_fields() and self.attestation is None:
            raise ValueError("attestation (source: the document seen) is required to set "
                             + ", ".join(sorted(self.attested_fields())))
        return self


class WorkerPatch(InModel):
    """A partial update of a worker profile (only the fields given change).

    A worker may change only ``WORKER_SELF_FIELDS``; attested facts need an officer or admin and
    an ``attestation``.
    """

    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    district: Short | None = None
    passport_number: str | None = Field(default=None, max_length=20)
    passport_expiry: dt.date | None = None
    medical_fit: bool | None = None
    medical_date: dt.date | None = None
    ntvqf_level: int | None = Field(default=None, ge=0, le=6)
    certificates: list[Certificate] | None = Field(default=None, max_length=20)
    languages: Languages | None = None
    experience: list[ExperienceIn] | None = Field(default=None, max_length=30)
    skills: list[SkillUri] | None = Field(default=None, max_length=MAX_SKILLS)
    self_description: str | None = Field(default=None, max_length=MAX_TEXT)
    bmet_registration: str | None = Field(default=None, max_length=40)
    consent: bool | None = None
    attestation: AttestationIn | None = None

    @field_validator("skills")
    @classmethod
    def _skills(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _check_uris(v, ESCO_SKILL, "skill")

    @field_validator("passport_expiry", "medical_date")
    @classmethod
    def _plausible(cls, v: dt.date | None) -> dt.date | None:
        return _dates_plausible(v, "the date")

    def attested_fields(self) -> set[str]:
        """Return the attested facts this patch changes (the route checks who may, and that an
        ``attestation`` comes with them)."""
        return set(self.model_fields_set) & ATTESTED_WORKER_FIELDS


class AgencyIn(InModel):
    """A recruiting agency and its licence."""

    name: str = Field(min_length=1, max_length=200)
    licence_number: str = Field(min_length=1, max_length=40)
    licence_status: LicenceStatus = "valid"
    licence_valid_until: dt.date
    district: Short | None = None
    phone: str | None = Field(default=None, max_length=30)

    @field_validator("licence_valid_until")
    @classmethod
    def _plausible(cls, v: dt.date) -> dt.date:
        return _dates_plausible(v, "licence_valid_until")  # type: ignore[return-value]


class AgencyPatch(InModel):
    """A partial update of an agency."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    licence_status: LicenceStatus | None = None
    licence_valid_until: dt.date | None = None

    NOT_NULL = frozenset({"licence_status", "licence_valid_until", "name"})
    district: Short | None = None
    phone: str | None = Field(default=None, max_length=30)

    @field_validator("licence_valid_until")
    @classmethod
    def _plausible(cls, v: dt.date | None) -> dt.date | None:
        return _dates_plausible(v, "licence_valid_until")


class JobOrderIn(InModel):
    """A job order from a demand letter."""

    employer_id: Id
    agency_id: Id
    destination: str = Field(min_length=2, max_length=80)
    occupation_uri: str | None = Field(default=None, max_length=120)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=MAX_TEXT)
    required_skills: list[SkillUri] = Field(default=[], max_length=MAX_SKILLS)
    optional_skills: list[SkillUri] = Field(default=[], max_length=MAX_SKILLS)
    headcount: int = Field(default=1, ge=1, le=100_000)
    wage_amount: float | None = Field(default=None, ge=0, le=MAX_WAGE)
    wage_currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    contract_months: int | None = Field(default=None, ge=1, le=120)
    min_age: int = Field(default=18, ge=18, le=70)
    max_age: int = Field(default=45, ge=18, le=70)
    gender_rule: Gender | None = None
    domestic_work: bool = False
    required_ntvqf_level: int = Field(default=0, ge=0, le=6)
    languages: Languages = []
    medical_required: bool = True
    recruitment_permission: str | None = Field(default=None, max_length=40)
    deadline: dt.date
    # No ``status``: a job order starts as a draft and moves only through registry.demand.

    @field_validator("required_skills", "optional_skills")
    @classmethod
    def _skills(cls, v: list[str]) -> list[str]:
        return _check_uris(v, ESCO_SKILL, "skill")

    @field_validator("occupation_uri")
    @classmethod
    def _occ(cls, v: str | None) -> str | None:
        return None if v is None else _check_uris([v], ESCO_OCCUPATION, "occupation")[0]

    @field_validator("deadline")
    @classmethod
    def _plausible(cls, v: dt.date) -> dt.date:
        return _dates_plausible(v, "deadline")  # type: ignore[return-value]

    @model_validator(mode="after")
    def _age_band(self) -> JobOrderIn:
        if self.min_age > self.max_age:
            raise ValueError("min_age must not exceed max_age")
        return self


class JobOrderPatch(InModel):
    """A partial update of a job order."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=MAX_TEXT)
    required_skills: list[SkillUri] | None = Field(default=None, max_length=MAX_SKILLS)
    optional_skills: list[SkillUri] | None = Field(default=None, max_length=MAX_SKILLS)
    headcount: int | None = Field(default=None, ge=1, le=100_000)
    wage_amount: float | None = Field(default=None, ge=0, le=MAX_WAGE)
    deadline: dt.date | None = None
    recruitment_permission: str | None = Field(default=None, max_length=40)
    required_ntvqf_level: int | None = Field(default=None, ge=0, le=6)
    languages: Languages | None = None
    medical_required: bool | None = None

    NOT_NULL = frozenset({"deadline", "description", "headcount", "languages", "medical_required",
                          "optional_skills", "required_ntvqf_level", "required_skills", "title"})

    @field_validator("required_skills", "optional_skills")
    @classmethod
    def _skills(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _check_uris(v, ESCO_SKILL, "skill")

    @field_validator("deadline")
    @classmethod
    def _plausible(cls, v: dt.date | None) -> dt.date | None:
        return _dates_plausible(v, "deadline")


class OutcomeIn(InModel):
    """An officer's decision about one worker for one job order."""

    worker_id: Id
    status: OutcomeStatus


class EmployerIn(InModel):
    """A foreign employer (the admin adds one before its job orders)."""

    name: str = Field(min_length=1, max_length=200)
    country: str = Field(min_length=2, max_length=80)
    sector: str | None = Field(default=None, max_length=120)


class EmployerPatch(InModel):
    """A partial update of an employer; ``active`` false makes its job orders unmatchable."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    country: str | None = Field(default=None, min_length=2, max_length=80)
    sector: str | None = Field(default=None, max_length=120)
    active: bool | None = None

    NOT_NULL = frozenset({"active", "country", "name"})
