"""Record writes: every change writes its outbox row in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from registry.models import Agency, Attestation, Employer, JobOrder, OutboxEvent, Worker

T = TypeVar("T")
WRITE_ATTEMPTS = 8
# Input-only fields of the write models: recorded elsewhere, never columns of the record.
NOT_COLUMNS = ("attestation",)

ENTITY: dict[type[Any], str] = {Worker: "worker", JobOrder: "job_order", Agency: "agency"}


class NotFoundError(LookupError):
    """The record does not exist."""


class ConflictError(ValueError):
    """The change conflicts with stored records (e.g. a duplicate licence number)."""


class PreconditionFailedError(ValueError):
    """The client's ``If-Match`` version is not the stored one (someone changed it since)."""


class InvalidRecordError(ValueError):
    """The input is well-formed but breaks a domain rule (answered 422, naming the field)."""


class ForbiddenError(PermissionError):
    """The signed-in user may not do this (a role or field-level rule)."""


def write_with_retry(session: Session, work: Callable[[], T],
                     attempts: int = WRITE_ATTEMPTS) -> T:
    """Run ``work`` and commit; on a lost optimistic-lock race, roll back and run it again.

    ``work`` must read what it changes inside itself (it runs again on fresh rows). After
    ``attempts`` lost races a ConflictError tells the client to retry.
    """
    for _ in range(attempts):
        try:
            out = work()
            session.commit()
            return out
        except StaleDataError:
            session.rollback()
    raise ConflictError("the record changed concurrently too often; retry the request")


def _outbox(session: Session, obj: Any, op: str) -> None:
    if type(obj) not in ENTITY:  # not indexed itself (an employer): nothing to write
        return
    session.add(OutboxEvent(entity=ENTITY[type(obj)], entity_id=obj.id, version=obj.version, op=op))


def create(session: Session, model: type, data: BaseModel | dict[str, Any]) -> Any:
    """Insert a record and its outbox row; return the record (flushed, with id)."""
    values = data.model_dump(mode="python") if isinstance(data, BaseModel) else dict(data)
    for k in NOT_COLUMNS:
        values.pop(k, None)
    if model is Worker and values.get("experience"):
        values["experience"] = [dict(e) for e in values["experience"]]
    if model is JobOrder:
        _check_refs(session, values)
    if model is Agency and session.scalar(
        select(Agency.id).where(Agency.licence_number == values["licence_number"])
    ):
        raise ConflictError(f"licence_number {values['licence_number']!r} is already registered")
    obj = model(**values)
    obj.version = 1
    session.add(obj)
    session.flush()
    _outbox(session, obj, "upsert")
    return obj


def _check_refs(session: Session, values: dict[str, Any]) -> None:
    if "employer_id" in values and session.get(Employer, values["employer_id"]) is None:
        raise NotFoundError(f"employer_id {values['employer_id']} does not exist")
    if "agency_id" in values and session.get(Agency, values["agency_id"]) is None:
        raise NotFoundError(f"agency_id {values['agency_id']} does not exist")


def get(session: Session, model: type[Any], obj_id: int) -> Any:
    """Return a record by id or raise NotFoundError."""
    obj = session.get(model, obj_id)
    if obj is None:
        raise NotFoundError(f"{ENTITY.get(model, model.__name__)} {obj_id} not found")
    return obj


def update(session: Session, model: type, obj_id: int, patch: BaseModel | dict[str, Any],
           expected_version: int | None = None) -> Any:
    """Apply a partial update, bump the version and write the outbox row(s).

    :raises PreconditionFailedError: ``expected_version`` is given and is not the stored one.
    """
    obj = get(session, model, obj_id)
    if expected_version is not None and obj.version != expected_version:
        raise PreconditionFailedError(
            f"{ENTITY.get(model, model.__name__)} {obj_id} is at version {obj.version}, not "
            f"{expected_version}: read it again and re-apply your change")
    values = (patch.model_dump(mode="python", exclude_unset=True)
              if isinstance(patch, BaseModel) else dict(patch))
    for k in NOT_COLUMNS:
        values.pop(k, None)
    if "experience" in values and values["experience"] is not None:
        values["experience"] = [dict(e) for e in values["experience"]]
    for k, v in values.items():
        setattr(obj, k, v)
    obj.version = obj.version + 1
    session.flush()
    _outbox(session, obj, "upsert")
    if model in (Agency, Employer):
        # A licence change or an employer's deactivation changes whether its job orders are
        # matchable: re-index them.
        owner = JobOrder.agency_id if model is Agency else JobOrder.employer_id
        for job in session.scalars(select(JobOrder).where(owner == obj.id)):
            job.version += 1
            session.flush()
            _outbox(session, job, "upsert")
    return obj


def record_attestations(session: Session, worker_id: int, values: dict[str, Any],
                        source: str, reference: str | None, username: str, role: str) -> None:
    """Write one attestation row per attested fact set: who, on which document, to what."""
    import json

    session.add_all(Attestation(worker_id=worker_id, field=f, source=source, reference=reference,
                                value=json.dumps(v, default=str), attested_by=username, role=role)
                    for f, v in sorted(values.items()))


def delete(session: Session, model: type[Any], obj_id: int) -> None:
    """Delete a record and write a tombstone outbox row at version + 1."""
    obj = get(session, model, obj_id)
    ev = OutboxEvent(entity=ENTITY[model], entity_id=obj.id, version=obj.version + 1, op="delete")
    session.delete(obj)
    session.flush()
    session.add(ev)
