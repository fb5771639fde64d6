"""POST /api/v1/job-orders/{id}/outcomes: officers record decisions that train the re-ranker."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from registry.db import session_scope
from registry.models import AccessLog, Application, JobOrder, User, Worker


@pytest.fixture(scope="module")
def client(seeded):
    with TestClient(create_app(seeded["settings"], indexer=seeded["indexer"])) as c:
        yield c


@pytest.fixture(scope="module")
def tokens(client):
    out = {}
    for u in ("officer", "worker", "admin"):
        r = client.post("/api/v1/auth/token", data={"username": u, "password": "shetu-demo"})
        out[u] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return out


@pytest.fixture(scope="module")
def ids(seeded):
    with session_scope(seeded["settings"].database_url) as s:
        officer = s.scalar(select(User).where(User.username == "officer"))
        own = s.scalar(select(JobOrder.id).where(JobOrder.agency_id == officer.agency_id))
        other = s.scalar(select(JobOrder.id).where(JobOrder.agency_id != officer.agency_id))
        taken = set(s.scalars(select(Application.worker_id).where(
            Application.job_order_id == own)))
        worker = next(w for w in s.scalars(select(Worker.id).order_by(Worker.id))
                      if w not in taken)
    return {"own": own, "other": other, "worker": worker}


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
                    json={"worker_id": ids["worker"], "status": "rejected"},
                    headers=tokens["admin"])
    assert r.status_code in (200, 201), r.text
    assert _status(seeded["settings"], ids["other"], ids["worker"]) == "rejected"


@pytest.mark.parametrize("who,job,body,code", [
    ("officer", "other", {"status": "deployed"}, 403),
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
