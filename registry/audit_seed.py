"""Demo audit records for a seeded registry: demand-lifecycle history, complaint dates, fee and
contract reports, expressions of interest — so the auditor's pages show findings.

Deterministic: the same generated data set and ``today`` give the same rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import (
    Application,
    Complaint,
    ContractReport,
    ExpressionOfInterest,
    FeeReport,
    JobOrder,
    JobOrderTransition,
)

MISSIONS = {"Saudi Arabia": "Bangladesh Embassy, Riyadh", "Malaysia": "Bangladesh High "
            "Commission, Kuala Lumpur", "United Arab Emirates": "Bangladesh Embassy, Abu Dhabi"}
SIDE_FEES = (("medical", 8_500), ("air_fare", 45_000), ("service_charge", 20_000),
             ("visa", 30_000), ("welfare_fund", 3_500))


def seed_audit_records(session: Session, today: dt.date, seed: int = 14) -> dict[str, int]:
    """Add the demo's audit records to what ``insert_dataset`` stored; return counts."""
    rng = random.Random(seed)
    now = dt.datetime.combine(today, dt.time(9))
    jobs = list(session.scalars(select(JobOrder).order_by(JobOrder.id)))
    transitions = 0
    for job in jobs:
        if job.status not in ("verified", "closed") or not job.demand_letter_attested:
            continue
        made = now - dt.timedelta(days=rng.randint(40, 90))
        job.attestation_number = f"ATT-{job.id:05d}"
        job.attestation_date = (made - dt.timedelta(days=5)).date()
        job.attesting_mission = MISSIONS.get(job.destination,
                                             f"Bangladesh mission ({job.destination})")
        job.demand_letter_sha256 = hashlib.sha256(f"demand letter {job.id}".encode()).hexdigest()
        steps = [("draft", "submitted", "officer", "officer", "demand letter submitted"),
                 ("submitted", "verified", "ministry", "ministry", "demand letter verified")]
        if job.status == "closed":
            steps.append(("verified", "closed", "officer", "officer", "filled"))
        for k, (src, dst, user, role, why) in enumerate(steps):
            session.add(JobOrderTransition(job_order_id=job.id, from_status=src, to_status=dst,
                                           username=user, role=role, reason=why,
                                           at=made + dt.timedelta(days=3 * k)))
            transitions += 1
    for c in session.scalars(select(Complaint).order_by(Complaint.id)):
        c.created_at = now - dt.timedelta(days=rng.randint(1, 150))
        if c.status == "investigating":
            c.status = "acknowledged"
        if c.status in ("acknowledged", "resolved"):
            c.acknowledged_at = c.created_at + dt.timedelta(days=rng.randint(1, 20))
        if c.status == "resolved":
            c.resolved_at = c.acknowledged_at
            c.status_note = "Agency refunded the worker."
    apps = list(session.scalars(select(Application).order_by(Application.id)))
    by_job = {j.id: j for j in jobs}
    fee_rows, contract_rows, interests = 0, 0, 0
    for app in apps:
        job = by_job[app.job_order_id]
        roll = rng.random()
        if roll < 0.2:
            purpose, amount = rng.choice(SIDE_FEES)
            session.add(FeeReport(
                worker_id=app.worker_id, agency_id=job.agency_id, job_order_id=job.id,
                amount_bdt=float(amount), purpose=purpose, paid_on=today - dt.timedelta(
                    days=rng.randint(1, 400)), note="", status="received", created_at=now))
            fee_rows += 1
        elif roll < 0.23:
            session.add(FeeReport(
                worker_id=app.worker_id, agency_id=job.agency_id, job_order_id=None,
                amount_bdt=float(rng.randrange(20_000, 90_000, 500)), purpose="documents",
                paid_on=today - dt.timedelta(days=rng.randint(1, 200)),
                note="paid to a sub-agent in the district", status="received", created_at=now))
            fee_rows += 1
        if app.status == "deployed" and job.wage_amount and rng.random() < 0.5:
            lower = rng.random() < 0.5
            session.add(ContractReport(
                worker_id=app.worker_id, agency_id=job.agency_id, job_order_id=job.id,
                wage_amount=round(job.wage_amount * (0.7 if lower else 1.0)),
                wage_currency=job.wage_currency, contract_months=job.contract_months,
                other_terms="", status="received", created_at=now))
            contract_rows += 1
        if app.status == "applied" and job.status == "verified" and rng.random() < 0.5:
            session.add(ExpressionOfInterest(worker_id=app.worker_id, job_order_id=job.id,
                                             status="active", created_at=now))
            interests += 1
    session.flush()
    return {"job_order_transitions": transitions, "fee_reports": fee_rows,
            "contract_reports": contract_rows, "expressions_of_interest": interests}
