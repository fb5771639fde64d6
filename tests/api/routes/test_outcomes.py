"""POST /api/v1/job-orders/{id}/outcomes: officers record decisions that train the re-ranker."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from api.access import is_candidate
from registry.compliance import job_is_matchable
from registry.db import session_scope
from registry.models import AccessLog, Application, JobOrder, User, Worker


@pytest.fixture(scope="module")
def ids(seeded):
    """A matchable job order of the officer's agency and one of another agency, each with a
    consenting, eligible worker who has not applied (only such a worker can be shortlisted)."""
    today = dt.date.today()
    with session_scope(seeded["settings"].database_url) as s:
        officer = s.scalar(select(User).where(User.username == "officer"))
        jobs = [j for j in s.scalars(select(JobOrder).order_by(JobOrder.id))
                if job_is_matchable(j, today)]
        workers = list(s.scalars(select(Worker).order_by(Worker.id)))
        taken = set(s.execute(select(Application.job_order_id, Application.worker_id)).all())

        def pick(own: bool) -> tuple[int, int]:
            return next((j.id, w.id) for j in jobs if (j.agency_id == officer.agency_id) == own
                        for w in workers
                        if (j.id, w.id) not in taken and is_candidate(w, j, today))

        own, worker = pick(True)
        other, other_worker = pick(False)
    return {"own": own, "other": other, "worker": worker, "other_worker": other_worker}


def _status(settings, job_id, worker_id):
    with session_scope(settings.database_url) as s:
        return s.scalar(select(Application.status).where(Application.job_order_id == job_id,
                                                          Application.worker_id == worker_id))


def test_officer_records_then_changes_an_outcome(client, tokens, ids, seeded):
    url = f"/api/v1/job-orders/{ids['own']}/outcomes"
    r = client.post(url, json={"worker_id": ids["worker"], "status": "shortlisted"},
                    headers=tokens["officer"])
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "shortlisted" and r.json()["created"] is True
    r = client.post(url, json={"worker_id": ids["worker"], "status": "selected"},
                    headers=tokens["officer"])
    assert r.status_code == 200 and r.json()["created"] is False and r.json()["version"] == 2
    assert _status(seeded["settings"], ids["own"], ids["worker"]) == "selected"
    with session_scope(seeded["settings"].database_url) as s:
        assert s.scalar(select(AccessLog.id).where(AccessLog.action == "record_outcome",
                                                   AccessLog.worker_id == ids["worker"]))


def test_admin_may_record_for_any_agency(client, tokens, ids, seeded):
    r = client.post(f"/api/v1/job-orders/{ids['other']}/outcomes",
                    json={"worker_id": ids["other_worker"], "status": "shortlisted"},
                    headers=tokens["admin"])
    assert r.status_code == 201, r.text
    assert _status(seeded["settings"], ids["other"], ids["other_worker"]) == "shortlisted"


@pytest.mark.parametrize("who,job,body,code", [
    ("officer", "other", {"status": "deployed"}, 404),  # another agency's order: not found
    ("worker", "own", {"status": "deployed"}, 403),
    (None, "own", {"status": "deployed"}, 401),
    ("officer", 999_999, {"status": "deployed"}, 404),
    ("officer", "own", {"status": "deployed", "worker_id": 999_999}, 404),
    ("officer", "own", {"status": "hired"}, 422),
    ("officer", "own", {"status": "applied"}, 422),
    ("officer", "own", {}, 422),
])
def test_refusals(client, tokens, ids, who, job, body, code):
    job_id = ids[job] if isinstance(job, str) else job
    payload = {"worker_id": ids["worker"], **body}
    if not body:
        payload = {"worker_id": ids["worker"]}
    r = client.post(f"/api/v1/job-orders/{job_id}/outcomes", json=payload,
                    headers=tokens[who] if who else {})
    assert r.status_code == code, r.text
