"""Load a generated data set into the registry (with outbox rows) and create demo accounts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.audit_seed import seed_audit_records
from registry.compliance import job_is_matchable, licence_is_valid
from registry.config import DEMO_PASSWORD
from registry.models import (
    Agency,
    Application,
    Complaint,
    Employer,
    JobOrder,
    OutboxEvent,
    User,
    Worker,
)
from registry.security import hash_password

DEMO_USERS = ("officer", "worker", "auditor", "ministry", "admin")


def is_empty(session: Session) -> bool:
    """Return whether the registry has no workers and no job orders."""
    return not (session.scalar(select(func.count(Worker.id)))
                or session.scalar(select(func.count(JobOrder.id))))


def insert_dataset(session: Session, data: Any, today: dt.date | None = None) -> dict[str, int]:
    """Insert every row of a SyntheticData set (ids in list order) plus outbox rows, and the
    demo's audit records (registry.audit_seed)."""
    counts = {}
    for model, rows in ((Agency, data.agencies), (Employer, data.employers),
                        (Worker, data.workers), (JobOrder, data.job_orders),
                        (Application, data.applications), (Complaint, data.complaints)):
        objs = [model(**r) for r in rows]
        session.add_all(objs)
        session.flush()
        counts[model.__tablename__] = len(objs)
        entity = {Worker: "worker", JobOrder: "job_order"}.get(model)
        if entity:
            session.add_all(OutboxEvent(entity=entity, entity_id=o.id, version=o.version or 1,
                                        op="upsert") for o in objs)
    session.flush()
    counts.update(seed_audit_records(session, today or dt.date.today()))
    return counts


def create_demo_users(session: Session, today: dt.date | None = None) -> dict[str, str]:
    """Create the demo accounts (dev only); return username → what it is linked to."""
    today = today or dt.date.today()
    if session.scalar(select(User.id).where(User.username == "admin")):
        return {}
    # The demo officer works for the licensed agency with the most matchable job orders.
    best, best_n = None, -1
    for agency in session.scalars(select(Agency).order_by(Agency.id)):
        if not licence_is_valid(agency, today):
            continue
        n = sum(1 for j in session.scalars(select(JobOrder).where(JobOrder.agency_id == agency.id))
                if job_is_matchable(j, today))
        if n > best_n:
            best, best_n = agency, n
    # The demo worker is a consenting, registered, fit worker with a valid passport.
    candidates = session.scalars(
        select(Worker).where(Worker.consent.is_(True), Worker.bmet_registration.is_not(None),
                             Worker.medical_fit.is_(True),
                             Worker.passport_expiry > today + dt.timedelta(days=400),
                             Worker.date_of_birth < today - dt.timedelta(days=365 * 25),
                             Worker.date_of_birth > today - dt.timedelta(days=365 * 40))
        .order_by(Worker.id))
    worker = next((w for w in candidates if w.skills), None)
    # One hash per account (each its own salt): a shared hash would let one cracked or leaked
    # row stand for all of them.
    session.add_all([
        User(username="officer", password_hash=hash_password(DEMO_PASSWORD), role="officer",
             agency_id=best.id if best else None, is_demo=True),
        User(username="worker", password_hash=hash_password(DEMO_PASSWORD), role="worker",
             worker_id=worker.id if worker else None, is_demo=True),
        User(username="auditor", password_hash=hash_password(DEMO_PASSWORD), role="auditor",
             is_demo=True),
        User(username="ministry", password_hash=hash_password(DEMO_PASSWORD), role="ministry",
             is_demo=True),
        User(username="admin", password_hash=hash_password(DEMO_PASSWORD), role="admin",
             is_demo=True),
    ])
    session.flush()
    return {"officer": f"agency {best.id} {best.name}" if best else "no agency",
            "worker": f"worker {worker.id}" if worker else "no worker",
            "auditor": "all agencies", "ministry": "verifies demand letters",
            "admin": "everything"}
