"""SQLAlchemy 2 tables: the system of record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from registry.vocab import APPLIED, COMPLAINT_OPEN, JOB_DRAFT, LICENCE_VALID


class Base(DeclarativeBase):
    """Declarative base for every table."""

    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Versioned:
    """Mixin: a row version bumped on every change; search documents carry it.

    The version is also the optimistic lock: every UPDATE says ``WHERE version = <the version
    read>``, so of two writers that read the same version only the first one's change lands and
    the other gets ``StaleDataError`` (retried or answered 409/412 by the caller) — no two
    changes ever share a version number. Code bumps the version itself (the generator is off).
    """

    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=_now, onupdate=_now, nullable=False
    )

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 — SQLAlchemy's declared_attr
        return {"version_id_col": cls.__table__.c.version,  # type: ignore[attr-defined]
                "version_id_generator": False}


class Agency(Versioned, Base):
    """A recruiting agency and its government licence."""

    __tablename__ = "agencies"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    licence_number: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    licence_status: Mapped[str] = mapped_column(String(20), default=LICENCE_VALID, nullable=False)
    licence_valid_until: Mapped[dt.date] = mapped_column(Date, nullable=False)
    district: Mapped[str | None] = mapped_column(String(60))
    phone: Mapped[str | None] = mapped_column(String(30))


class Employer(Versioned, Base):
    """A foreign employer that sends demand letters (inactive: its orders are not matchable)."""

    __tablename__ = "employers"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    country: Mapped[str] = mapped_column(String(80), nullable=False)
    sector: Mapped[str | None] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true(),
                                         nullable=False)


class Worker(Versioned, Base):
    """A prospective migrant worker's profile (identity fields never leave the registry; an
    inactive worker is not in the search index: never matched, searched or counted)."""

    __tablename__ = "workers"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(30))
    nid_number: Mapped[str | None] = mapped_column(String(30), index=True)  # intake key
    date_of_birth: Mapped[dt.date] = mapped_column(Date, nullable=False)
    gender: Mapped[str] = mapped_column(String(10), nullable=False)
    district: Mapped[str | None] = mapped_column(String(60))
    religion: Mapped[str | None] = mapped_column(String(30))
    passport_number: Mapped[str | None] = mapped_column(String(20))
    passport_expiry: Mapped[dt.date | None] = mapped_column(Date)
    medical_fit: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    medical_date: Mapped[dt.date | None] = mapped_column(Date)
    ntvqf_level: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    certificates: Mapped[list[Any]] = mapped_column(JSON, default=list, nullable=False)
    languages: Mapped[list[Any]] = mapped_column(JSON, default=list, nullable=False)
    # [{"occupation_uri": str, "years": float, "country": str | None}]
    experience: Mapped[list[Any]] = mapped_column(JSON, default=list, nullable=False)
    skills: Mapped[list[Any]] = mapped_column(JSON, default=list, nullable=False)
    self_description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    bmet_registration: Mapped[str | None] = mapped_column(String(40))
    consent: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true(),
                                         nullable=False)


class JobOrder(Versioned, Base):
    """Verified (or not yet verified) overseas demand: one demand letter's trade."""

    __tablename__ = "job_orders"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), nullable=False)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False, index=True)
    destination: Mapped[str] = mapped_column(String(80), nullable=False)
    occupation_uri: Mapped[str | None] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    required_skills: Mapped[list[Any]] = mapped_column(JSON, default=list, nullable=False)
    optional_skills: Mapped[list[Any]] = mapped_column(JSON, default=list, nullable=False)
    headcount: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    wage_amount: Mapped[float | None] = mapped_column(Float)
    wage_currency: Mapped[str | None] = mapped_column(String(3))
    contract_months: Mapped[int | None] = mapped_column(Integer)
    min_age: Mapped[int] = mapped_column(Integer, default=18, nullable=False)
    max_age: Mapped[int] = mapped_column(Integer, default=45, nullable=False)
    gender_rule: Mapped[str | None] = mapped_column(String(10))
    domestic_work: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    required_ntvqf_level: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    languages: Mapped[list[Any]] = mapped_column(JSON, default=list, nullable=False)
    medical_required: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    demand_letter_attested: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    recruitment_permission: Mapped[str | None] = mapped_column(String(40))
    deadline: Mapped[dt.date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(12), default=JOB_DRAFT, nullable=False, index=True)
    # The demand letter's facts, given when the agency submits it (issue 12's lifecycle):
    # the mission's attestation, the BMET recruitment permission (``recruitment_permission``)
    # and the uploaded letter itself, kept by its SHA-256.
    attestation_number: Mapped[str | None] = mapped_column(String(60))
    attestation_date: Mapped[dt.date | None] = mapped_column(Date)
    attesting_mission: Mapped[str | None] = mapped_column(String(120))
    demand_letter_sha256: Mapped[str | None] = mapped_column(String(64))
    demand_letter_filename: Mapped[str | None] = mapped_column(String(200))

    employer: Mapped[Employer] = relationship(lazy="joined")
    agency: Mapped[Agency] = relationship(lazy="joined")


class Application(Versioned, Base):
    """A worker's application/placement for a job order, with the fee the worker reported."""

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("job_order_id", "worker_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    job_order_id: Mapped[int] = mapped_column(ForeignKey("job_orders.id"), nullable=False)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), nullable=False, index=True)
    # applied | shortlisted | selected | rejected | deployed
    status: Mapped[str] = mapped_column(String(12), default=APPLIED, nullable=False)
    fee_paid_bdt: Mapped[float | None] = mapped_column(Float)
    contract_substituted: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)


class Complaint(Versioned, Base):
    """A complaint against an agency (fees, fraud, contract substitution...)."""

    __tablename__ = "complaints"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False, index=True)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))
    category: Mapped[str] = mapped_column(String(40), nullable=False)
    text: Mapped[str] = mapped_column(Text, default="", nullable=False)
    # open | acknowledged | resolved | dismissed (registry.vocab.COMPLAINT_TRANSITIONS)
    status: Mapped[str] = mapped_column(String(20), default=COMPLAINT_OPEN, nullable=False)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    dismissed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    status_note: Mapped[str | None] = mapped_column(Text)


class Attestation(Base):
    """Who set an attested fact about a worker (medical fitness, BMET registration, NTVQF
    certificate, passport), to what, on which document, and when."""

    __tablename__ = "attestations"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    field: Mapped[str] = mapped_column(String(40), nullable=False)
    value: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(200), nullable=False)
    reference: Mapped[str | None] = mapped_column(String(100))
    attested_by: Mapped[str] = mapped_column(String(80), nullable=False)
    role: Mapped[str] = mapped_column(String(10), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)


class IdempotencyKey(Base):
    """The first response to a create sent with an ``Idempotency-Key``: a retry gets it again
    instead of a second record. Kept for ``IDEMPOTENCY_TTL`` (registry.idempotency)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("username", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), nullable=False)
    key: Mapped[str] = mapped_column(String(100), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False,
                                                    index=True)


class User(Base):
    """A login: officer (of an agency), worker (linked to a profile), auditor or admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(10), nullable=False)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # A disabled account cannot sign in, and its tokens stop working (registry.security).
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false(),
                                           nullable=False)


class AccessLog(Base):
    """Who looked at which worker, when, and why (auditors read it)."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now(), default=_now,
                                            index=True)
    username: Mapped[str] = mapped_column(String(80), nullable=False)
    role: Mapped[str] = mapped_column(String(10), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    worker_id: Mapped[int | None] = mapped_column(Integer, index=True)
    job_order_id: Mapped[int | None] = mapped_column(Integer)
    # A ranked list shows many workers at once: one row per view, the shown ids as
    # ",12,57,301," (searchable with LIKE on SQLite and PostgreSQL alike). Rows older than
    # ``Settings.access_log_retention_days`` are pruned (registry.audit.prune_access_log).
    worker_ids: Mapped[str | None] = mapped_column(Text)


class OutboxEvent(Base):
    """A change to index, written in the same transaction as the record."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(20), nullable=False)
    entity_id: Mapped[int] = mapped_column(Integer, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    op: Mapped[str] = mapped_column(String(8), nullable=False)  # upsert | delete
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)
    processed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class RevokedToken(Base):
    """A signed-out token's id, refused until the token would have expired anyway."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, index=True)


class FeeReport(Base):
    """A fee a worker says they paid (to an agency, for a job order or not): audit evidence."""

    __tablename__ = "fee_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), nullable=False, index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False, index=True)
    job_order_id: Mapped[int | None] = mapped_column(ForeignKey("job_orders.id"), index=True)
    amount_bdt: Mapped[float] = mapped_column(Float, nullable=False)
    purpose: Mapped[str] = mapped_column(String(30), nullable=False)  # vocab.FEE_PURPOSES
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    paid_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    # received | under_review | substantiated | unsubstantiated (vocab.FEE_REPORT_TRANSITIONS)
    status: Mapped[str] = mapped_column(String(20), default="received", nullable=False)
    status_note: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)


class ContractReport(Base):
    """What a worker says their actual contract or job abroad gives (wage, length, work), to
    compare with the attested job order (contract substitution)."""

    __tablename__ = "contract_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), nullable=False, index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False, index=True)
    job_order_id: Mapped[int] = mapped_column(ForeignKey("job_orders.id"), nullable=False,
                                              index=True)
    wage_amount: Mapped[float | None] = mapped_column(Float)
    wage_currency: Mapped[str | None] = mapped_column(String(3))
    contract_months: Mapped[int | None] = mapped_column(Integer)
    job_title: Mapped[str | None] = mapped_column(String(200))
    other_terms: Mapped[str] = mapped_column(Text, default="", nullable=False)
    status: Mapped[str] = mapped_column(String(20), default="received", nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)


class ExpressionOfInterest(Base):
    """A worker's interest in a job order (the agency's officer sees it); withdrawable."""

    __tablename__ = "expressions_of_interest"
    __table_args__ = (UniqueConstraint("worker_id", "job_order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), nullable=False, index=True)
    job_order_id: Mapped[int] = mapped_column(ForeignKey("job_orders.id"), nullable=False,
                                              index=True)
    status: Mapped[str] = mapped_column(String(12), default="active", nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class JobOrderTransition(Base):
    """One step of a job order's demand lifecycle: who moved it from what to what, when, why."""

    __tablename__ = "job_order_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_order_id: Mapped[int] = mapped_column(ForeignKey("job_orders.id"), nullable=False,
                                              index=True)
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12), nullable=False)
    username: Mapped[str] = mapped_column(String(80), nullable=False)
    role: Mapped[str] = mapped_column(String(10), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False, index=True)
    reason: Mapped[str] = mapped_column(Text, default="", nullable=False)


class ExchangeRate(Base):
    """Taka per unit of a foreign currency on a date, with its source (the admin maintains it);
    a worker's job page shows a wage in taka with the date of the rate used."""

    __tablename__ = "exchange_rates"
    __table_args__ = (UniqueConstraint("currency", "rate_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, index=True)
    bdt_per_unit: Mapped[float] = mapped_column(Float, nullable=False)
    rate_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    source: Mapped[str] = mapped_column(String(200), nullable=False)


class Helpline(Base):
    """An official helpline a worker can call (the admin maintains it, each with its source)."""

    __tablename__ = "helplines"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_bn: Mapped[str | None] = mapped_column(String(200))
    number: Mapped[str] = mapped_column(String(40), nullable=False)
    hours: Mapped[str | None] = mapped_column(String(120))  # when it answers (migration 0009)
    source: Mapped[str] = mapped_column(String(300), nullable=False)
    checked_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
class AdminChange(Base):
    """The admin audit trail: who changed which record, when, and what (issue 12)."""

    __tablename__ = "admin_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False, index=True)
    username: Mapped[str] = mapped_column(String(80), nullable=False)
    role: Mapped[str] = mapped_column(String(10), nullable=False)
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    entity: Mapped[str] = mapped_column(String(20), nullable=False)
    entity_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="", nullable=False)
