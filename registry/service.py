"""Record writes: every change writes its outbox row in the same transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import Agency, Employer, JobOrder, OutboxEvent, Worker

ENTITY: dict[type[Any], str] = {Worker: "worker", JobOrder: "job_order", Agency: "agency"}


class NotFoundError(LookupError):
    """The record does not exist."""


class ConflictError(ValueError):
    """The change conflicts with stored records (e.g. a duplicate licence number)."""


def _outbox(session: Session, obj: Any, op: str) -> None:
    session.add(OutboxEvent(entity=ENTITY[type(obj)], entity_id=obj.id, version=obj.version, op=op))


def create(session: Session, model: type, data: BaseModel | dict[str, Any]) -> Any:
    """Insert a record and its outbox row; return the record (flushed, with id)."""
    values = data.model_dump(mode="python") if isinstance(data, BaseModel) else dict(data)
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


def update(session: Session, model: type, obj_id: int, patch: BaseModel | dict[str, Any]) -> Any:
    """Apply a partial update, bump the version and write the outbox row(s)."""
    obj = get(session, model, obj_id)
    values = (patch.model_dump(mode="python", exclude_unset=True)
              if isinstance(patch, BaseModel) else dict(patch))
    if "experience" in values and values["experience"] is not None:
        values["experience"] = [dict(e) for e in values["experience"]]
    for k, v in values.items():
        setattr(obj, k, v)
    obj.version = obj.version + 1
    session.flush()
    _outbox(session, obj, "upsert")
    if model is Agency:
        # A licence change changes whether its job orders are matchable: re-index them.
        for job in session.scalars(select(JobOrder).where(JobOrder.agency_id == obj.id)):
            job.version += 1
            session.flush()
            _outbox(session, job, "upsert")
    return obj


def delete(session: Session, model: type[Any], obj_id: int) -> None:
    """Delete a record and write a tombstone outbox row at version + 1."""
    obj = get(session, model, obj_id)
    ev = OutboxEvent(entity=ENTITY[model], entity_id=obj.id, version=obj.version + 1, op="delete")
    session.delete(obj)
    session.flush()
    session.add(ev)


def expire_job_orders(session: Session, today: dt.date) -> list[int]:
    """Close verified job orders whose deadline is before ``today``; return their ids.

    Each closed order gets a version bump and an outbox row, so the index drops it from search.
    """
    jobs = list(session.scalars(select(JobOrder).where(JobOrder.status == "verified",
                                                       JobOrder.deadline < today)
                                .order_by(JobOrder.id)))
    for job in jobs:
        job.status = "closed"
        job.version += 1
        session.flush()
        _outbox(session, job, "upsert")
    return [j.id for j in jobs]
