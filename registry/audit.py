"""Per-agency risk for ministry auditors: licence, fees vs ceilings, demand, complaints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Select, delete, insert, or_, select
from sqlalchemy.orm import Session

from registry.compliance import (
    cost_ceilings,
    fee_flags,
    job_is_verified,
    licence_status,
)
from registry.models import AccessLog, Agency, Application, Complaint, JobOrder
from registry.vocab import COMPLAINT_RESOLVED, DEPLOYED, JOB_CLOSED, JOB_VERIFIED, LICENCE_VALID


def agency_risk(session: Session, data_dir: Path, today: dt.date) -> list[dict[str, Any]]:
    """Return one row per agency with its compliance figures and a risk score, riskiest first."""
    ceilings = cost_ceilings(Path(data_dir))
    rows: dict[int, dict[str, Any]] = {}
    for a in session.scalars(select(Agency).order_by(Agency.id)):
        rows[a.id] = {"agency_id": a.id, "name": a.name, "licence_number": a.licence_number,
                      "licence_status": licence_status(a, today), "job_orders": 0,
                      "unverified_demand": 0, "expired_demand": 0, "applications": 0,
                      "fees_reported": 0, "fees_above_ceiling": 0, "max_fee_ratio": 0.0,
                      "contract_substitutions": 0, "placements": 0, "complaints": 0,
                      "open_complaints": 0}
    jobs = {j.id: j for j in session.scalars(select(JobOrder))}
    for j in jobs.values():
        r = rows[j.agency_id]
        r["job_orders"] += 1
        if not job_is_verified(j) and j.status != JOB_CLOSED:
            r["unverified_demand"] += 1
        if j.deadline < today and j.status == JOB_VERIFIED:
            r["expired_demand"] += 1
    for app in session.scalars(select(Application)):
        job = jobs[app.job_order_id]
        r = rows[job.agency_id]
        r["applications"] += 1
        r["placements"] += app.status == DEPLOYED
        r["contract_substitutions"] += bool(app.contract_substituted)
        ceiling = ceilings.get(job.destination)
        if app.fee_paid_bdt:
            r["fees_reported"] += 1
            flags = fee_flags(app.fee_paid_bdt, ceiling.amount_bdt if ceiling else None)
            if "above_legal_ceiling" in flags:
                r["fees_above_ceiling"] += 1
            if ceiling:
                r["max_fee_ratio"] = max(r["max_fee_ratio"],
                                         round(app.fee_paid_bdt / ceiling.amount_bdt, 2))
    for c in session.scalars(select(Complaint)):
        r = rows[c.agency_id]
        r["complaints"] += 1
        r["open_complaints"] += c.status != COMPLAINT_RESOLVED
    for r in rows.values():
        share_above = r["fees_above_ceiling"] / r["fees_reported"] if r["fees_reported"] else 0.0
        r["share_fees_above_ceiling"] = round(share_above, 3)
        # Transparent additive score: each red flag adds points (documented in the auditor page).
        r["risk_score"] = round(
            (40 if r["licence_status"] != LICENCE_VALID and r["job_orders"] else 0)
            + 30 * share_above + 2 * r["open_complaints"] + 3 * r["contract_substitutions"]
            + 2 * r["unverified_demand"] + r["expired_demand"], 1)
    return sorted(rows.values(), key=lambda r: (-r["risk_score"], r["agency_id"]))


def log_access(session: Session, *, username: str, role: str, action: str,
               worker_ids: Sequence[int] = (), job_order_id: int | None = None) -> None:
    """Record that ``username`` saw these workers (one row per view, not per worker)."""
    ids = list(dict.fromkeys(int(i) for i in worker_ids))
    session.execute(insert(AccessLog), [{
        "username": username, "role": role, "action": action, "job_order_id": job_order_id,
        "worker_id": ids[0] if len(ids) == 1 else None,
        "worker_ids": "," + ",".join(map(str, ids)) + "," if ids else None}])


def access_log_query(worker_id: int | None = None,
                     username: str | None = None) -> Select[AccessLog]:
    """Return a select of access-log rows, newest first, optionally about one worker or user."""
    q = select(AccessLog).order_by(AccessLog.id.desc())
    if worker_id is not None:
        q = q.where(or_(AccessLog.worker_id == worker_id,
                        AccessLog.worker_ids.like(f"%,{int(worker_id)},%")))
    if username is not None:
        q = q.where(AccessLog.username == username)
    return q


def access_row_worker_ids(row: AccessLog) -> list[int]:
    """Return every worker id one access-log row is about."""
    if row.worker_ids:
        return [int(x) for x in row.worker_ids.strip(",").split(",") if x]
    return [row.worker_id] if row.worker_id is not None else []


def prune_access_log(session: Session, today: dt.date, retention_days: int) -> int:
    """Delete access-log rows older than the retention period; return how many."""
    cutoff = dt.datetime.combine(today - dt.timedelta(days=retention_days), dt.time())
    res = session.execute(delete(AccessLog).where(AccessLog.at < cutoff))
    return int(getattr(res, "rowcount", 0) or 0)
