"""The access log (who looked at which worker) and the auditor's agency filters.

The findings and the risk score live in ``registry.audit_rules``; this module writes and reads the
access log (one row per view), and filters/sorts the rows ``audit_agencies`` returns, for the API
and the pages alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, insert, or_, select
from sqlalchemy.orm import Session

from registry.models import AccessLog, JobOrder, User, Worker


def log_access(session: Session, *, username: str, role: str, action: str,
               worker_ids: Sequence[int] = (), job_order_id: int | None = None) -> None:
    """Record that ``username`` saw these workers (one row per view, not per worker)."""
    ids = list(dict.fromkeys(int(i) for i in worker_ids))
    session.execute(insert(AccessLog), [{
        "username": username, "role": role, "action": action, "job_order_id": job_order_id,
        "worker_id": ids[0] if len(ids) == 1 else None,
        "worker_ids": "," + ",".join(map(str, ids)) + "," if ids else None}])


def access_log_query(worker_id: int | None = None, username: str | None = None, *,
                     agency_id: int | None = None, since: dt.date | None = None,
                     until: dt.date | None = None) -> Select[AccessLog]:
    """Return a select of access-log rows, newest first, optionally about one worker, by one
    user, about one agency (its job orders, or views by its officers) or within dates
    (``since`` and ``until`` inclusive)."""
    q = select(AccessLog).order_by(AccessLog.id.desc())
    if worker_id is not None:
        q = q.where(or_(AccessLog.worker_id == worker_id,
                        AccessLog.worker_ids.like(f"%,{int(worker_id)},%")))
    if username is not None:
        q = q.where(AccessLog.username == username)
    if agency_id is not None:
        jobs = select(JobOrder.id).where(JobOrder.agency_id == agency_id)
        staff = select(User.username).where(User.agency_id == agency_id)
        q = q.where(or_(AccessLog.job_order_id.in_(jobs), AccessLog.username.in_(staff)))
    if since is not None:
        q = q.where(AccessLog.at >= dt.datetime.combine(since, dt.time()))
    if until is not None:
        q = q.where(AccessLog.at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time()))
    return q


def access_log_rows(session: Session, q: Select[AccessLog],
                    limit: int) -> list[dict[str, Any]]:
    """Run an access-log select; return rows with the workers' names, the job order's title and
    agency, and the viewer's role (as logged) — what the auditor's page and CSV show."""
    rows = list(session.scalars(q.limit(limit)))
    worker_ids = {w for r in rows for w in access_row_worker_ids(r)}
    job_ids = {r.job_order_id for r in rows if r.job_order_id is not None}
    names: dict[int, str] = {}
    if worker_ids:
        found = session.execute(select(Worker.id, Worker.full_name)
                                .where(Worker.id.in_(worker_ids)))
        names = {int(row[0]): str(row[1]) for row in found}
    jobs = {j.id: j for j in session.scalars(select(JobOrder).where(JobOrder.id.in_(job_ids)))} \
        if job_ids else {}
    out = []
    for r in rows:
        ids = access_row_worker_ids(r)
        job = jobs.get(r.job_order_id) if r.job_order_id is not None else None
        out.append({"id": r.id, "at": r.at, "username": r.username, "role": r.role,
                    "action": r.action, "worker_ids": ids,
                    "workers": [{"id": i, "name": names.get(i)} for i in ids],
                    "job_order_id": r.job_order_id,
                    "job_order_title": job.title if job else None,
                    "agency_id": job.agency_id if job else None})
    return out


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


# -- the auditor's agency list: filters and sorts over ``audit_agencies`` rows ---------------------
RISK_LEVELS = ("high", "medium", "low", "none")
SORTS = {
    "risk": lambda r: (-r["risk_score"], r["agency_id"]),
    "name": lambda r: (r["name"].casefold(), r["agency_id"]),
    "licence": lambda r: (r["licence_status"], r["agency_id"]),
    "district": lambda r: ((r["district"] or "").casefold(), r["agency_id"]),
    "findings": lambda r: (-r["findings"], -r["risk_score"], r["agency_id"]),
    "anomaly": lambda r: (-((r["second_opinion"] or {}).get("anomaly") or 0.0), r["agency_id"]),
}


def filter_agencies(rows: list[dict[str, Any]], *, risk: str | None = None,
                    flag: str | None = None, licence: str | None = None,
                    district: str | None = None, q: str | None = None,
                    sort: str = "risk") -> list[dict[str, Any]]:
    """Keep the rows matching every given filter (risk level, a flag's rule code, licence status,
    district, a search over name and licence number), sorted by ``sort`` (a key of ``SORTS``;
    a leading ``-`` reverses it)."""
    out = rows
    if risk:
        out = [r for r in out if r["risk_level"] == risk]
    if flag:
        out = [r for r in out if flag in r["flags"]]
    if licence:
        out = [r for r in out if r["licence_status"] == licence]
    if district:
        d = district.casefold()
        out = [r for r in out if (r["district"] or "").casefold() == d]
    if q:
        needle = q.casefold().strip()
        out = [r for r in out if needle in r["name"].casefold()
               or needle in r["licence_number"].casefold()]
    key = SORTS[sort.lstrip("-")]
    return sorted(out, key=key, reverse=sort.startswith("-"))
