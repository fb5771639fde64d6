"""Pydantic models for records coming in (API, CSV, CLI) and going out."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ESCO_SKILL = "http://data.europa.eu/esco/skill/"
ESCO_OCCUPATION = "http://data.europa.eu/esco/occupation/"
Gender = Literal["male", "female"]


def _check_uris(values: list[str], prefix: str, what: str) -> list[str]:
    bad = [v for v in values if not v.startswith(prefix)]
    if bad:
        raise ValueError(f"not an ESCO {what} URI: {bad[0]!r}")
    return list(dict.fromkeys(values))


class ExperienceIn(BaseModel):
    """Years worked in one ESCO occupation."""

    model_config = ConfigDict(extra="forbid")
    occupation_uri: str
    years: float = Field(ge=0, le=60)
    country: str | None = None

    @field_validator("occupation_uri")
    @classmethod
    def _uri(cls, v: str) -> str:
        return _check_uris([v], ESCO_OCCUPATION, "occupation")[0]


class WorkerIn(BaseModel):
    """A worker profile as created by an admin or registration."""

    model_config = ConfigDict(extra="forbid")
    full_name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    nid_number: str | None = Field(default=None, max_length=30)
    date_of_birth: dt.date
    gender: Gender
    district: str | None = None
    religion: str | None = None
    passport_number: str | None = Field(default=None, max_length=20)
    passport_expiry: dt.date | None = None
    medical_fit: bool = False
    medical_date: dt.date | None = None
    ntvqf_level: int = Field(default=0, ge=0, le=6)
    certificates: list[str] = []
    languages: list[str] = []
    experience: list[ExperienceIn] = []
    skills: list[str] = []
    self_description: str = Field(default="", max_length=20_000)
    bmet_registration: str | None = None
    consent: bool = False

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


class WorkerPatch(BaseModel):
    """A partial update of a worker profile (only the fields given change)."""

    model_config = ConfigDict(extra="forbid")
    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = None
    district: str | None = None
    passport_number: str | None = None
    passport_expiry: dt.date | None = None
    medical_fit: bool | None = None
    medical_date: dt.date | None = None
    ntvqf_level: int | None = Field(default=None, ge=0, le=6)
    certificates: list[str] | None = None
    languages: list[str] | None = None
    experience: list[ExperienceIn] | None = None
    skills: list[str] | None = None
    self_description: str | None = Field(default=None, max_length=20_000)
    bmet_registration: str | None = None
    consent: bool | None = None

    @field_validator("skills")
    @classmethod
    def _skills(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _check_uris(v, ESCO_SKILL, "skill")


class AgencyIn(BaseModel):
    """A recruiting agency and its licence."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    licence_number: str = Field(min_length=1, max_length=40)
    licence_status: Literal["valid", "suspended", "cancelled"] = "valid"
    licence_valid_until: dt.date
    district: str | None = None
    phone: str | None = None


class AgencyPatch(BaseModel):
    """A partial update of an agency."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    licence_status: Literal["valid", "suspended", "cancelled"] | None = None
    licence_valid_until: dt.date | None = None
    district: str | None = None
    phone: str | None = None


class JobOrderIn(BaseModel):
    """A job order from a demand letter."""

    model_config = ConfigDict(extra="forbid")
    employer_id: int
    agency_id: int
    destination: str = Field(min_length=2, max_length=80)
    occupation_uri: str | None = None
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)
    required_skills: list[str] = []
    optional_skills: list[str] = []
    headcount: int = Field(default=1, ge=1, le=100_000)
    wage_amount: float | None = Field(default=None, ge=0)
    wage_currency: str | None = Field(default=None, min_length=3, max_length=3)
    contract_months: int | None = Field(default=None, ge=1, le=120)
    min_age: int = Field(default=18, ge=18, le=70)
    max_age: int = Field(default=45, ge=18, le=70)
    gender_rule: Gender | None = None
    domestic_work: bool = False
    required_ntvqf_level: int = Field(default=0, ge=0, le=6)
    languages: list[str] = []
    medical_required: bool = True
    demand_letter_attested: bool = False
    recruitment_permission: str | None = None
    deadline: dt.date
    status: Literal["draft", "verified", "closed"] = "draft"

    @field_validator("required_skills", "optional_skills")
    @classmethod
    def _skills(cls, v: list[str]) -> list[str]:
        return _check_uris(v, ESCO_SKILL, "skill")

    @field_validator("occupation_uri")
    @classmethod
    def _occ(cls, v: str | None) -> str | None:
        return None if v is None else _check_uris([v], ESCO_OCCUPATION, "occupation")[0]


class JobOrderPatch(BaseModel):
    """A partial update of a job order."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None
    required_skills: list[str] | None = None
    optional_skills: list[str] | None = None
    headcount: int | None = Field(default=None, ge=1)
    wage_amount: float | None = Field(default=None, ge=0)
    deadline: dt.date | None = None
    status: Literal["draft", "verified", "closed"] | None = None
    demand_letter_attested: bool | None = None
    recruitment_permission: str | None = None
    required_ntvqf_level: int | None = Field(default=None, ge=0, le=6)
    languages: list[str] | None = None
    medical_required: bool | None = None

    @field_validator("required_skills", "optional_skills")
    @classmethod
    def _skills(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _check_uris(v, ESCO_SKILL, "skill")
