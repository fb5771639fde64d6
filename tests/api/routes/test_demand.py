"""The demand lifecycle over HTTP: draft → submitted (with the letter) → verified | rejected →
expired (the day after the deadline, injected clock) → closed; who may take which step."""

from __future__ import annotations

import datetime as dt
import hashlib
import time

import pytest
from sqlalchemy import select
from support import PDF_LETTER, letter_form, submit_and_verify

from api.scheduler import Scheduler
from registry.db import session_scope
from registry.models import JobOrder, User


@pytest.fixture(scope="module")
def officer(seeded):
    with session_scope(seeded["settings"].database_url) as s:
        user = s.scalar(select(User).where(User.username == "officer"))
        employer = s.scalar(select(JobOrder.employer_id).order_by(JobOrder.id))
        other = s.scalar(select(JobOrder.agency_id).where(JobOrder.agency_id != user.agency_id))
        return {"agency_id": user.agency_id, "employer_id": employer, "other_agency": other}


def _draft(client, tokens, officer, days: int = 30, agency: str = "agency_id") -> int:
    r = client.post("/api/v1/job-orders", headers=tokens["admin"], json={
        "employer_id": officer["employer_id"], "agency_id": officer[agency],
        "destination": "Saudi Arabia", "title": "Steel fixer", "headcount": 3,
        "deadline": (dt.date.today() + dt.timedelta(days=days)).isoformat()})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "draft" and not r.json()["matchable"]
    return r.json()["id"]


def _submit(client, job_id, headers, content=PDF_LETTER, name="letter.pdf", **form):
    return client.post(f"/api/v1/job-orders/{job_id}/submit", data=letter_form(**form),
                       files={"demand_letter": (name, content, "application/pdf")},
                       headers=headers)


def test_happy_path_draft_to_matchable_with_history_and_letter(client, tokens, officer):
    job = _draft(client, tokens, officer)
    why = client.get(f"/api/v1/job-orders/{job}", headers=tokens["officer"]).json()
    assert "not submitted" in why["why_not_matchable"][0]
    out = submit_and_verify(client, job, tokens["officer"], tokens["ministry"])
    assert out["status"] == "verified" and out["matchable"] and out["why_not_matchable"] == []
    assert client.get(f"/api/v1/job-orders/{job}/candidates",
                      headers=tokens["officer"]).status_code == 200
    listed = client.get("/api/v1/job-orders?status=verified&limit=500",
                        headers=tokens["ministry"]).json()
    assert job in [j["id"] for j in listed["items"]]
    hist = client.get(f"/api/v1/job-orders/{job}/history", headers=tokens["auditor"]).json()
    steps = [(t["from_status"], t["to_status"], t["username"]) for t in hist["transitions"]]
    assert steps == [("draft", "submitted", "officer"), ("submitted", "verified", "ministry")]
    assert hist["demand_letter"]["sha256"] == hashlib.sha256(PDF_LETTER).hexdigest()
    assert hist["demand_letter"]["attestation_number"] == "KSA-ATT-2026-0042"
    for role in ("officer", "ministry", "auditor", "admin"):
        r = client.get(f"/api/v1/job-orders/{job}/demand-letter", headers=tokens[role])
        assert r.status_code == 200 and r.content == PDF_LETTER, role
        assert r.headers["content-type"] == "application/pdf"
    assert client.get(f"/api/v1/job-orders/{job}/demand-letter",
                      headers=tokens["worker"]).status_code == 403
    r = client.post(f"/api/v1/job-orders/{job}/close", json={"reason": "all 3 hired"},
                    headers=tokens["officer"])
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert "closed" in r.json()["why_not_matchable"][0]


def test_refusals_wrong_role_wrong_step_bad_file(client, tokens, officer, seeded):
    job = _draft(client, tokens, officer)
    # verifying a draft: wrong step, 422 naming status
    r = client.post(f"/api/v1/job-orders/{job}/verify", json={}, headers=tokens["ministry"])
    assert r.status_code == 422 and "status" in r.json()["detail"]
    # a bad file: named, nothing stored
    for content, name in ((b"hello, not a letter", "letter.pdf"), (b"", "empty.pdf"),
                          (b"%PDF-" + b"0" * (5 * 1024 * 1024), "huge.pdf")):
        r = _submit(client, job, tokens["officer"], content=content, name=name)
        assert r.status_code in (413, 422), (name, r.status_code, r.text[:200])
        assert "demand_letter" in r.text or r.status_code == 413
    r = _submit(client, job, tokens["officer"], attestation_date="2999-01-01")
    assert r.status_code == 422 and "attestation_date" in r.json()["detail"]
    assert not (seeded["settings"].var_dir / "letters").exists() or not any(
        p.name.startswith(hashlib.sha256(b"hello, not a letter").hexdigest())
        for p in (seeded["settings"].var_dir / "letters").iterdir())
    got = client.get(f"/api/v1/job-orders/{job}/history", headers=tokens["admin"]).json()
    assert got["status"] == "draft" and got["transitions"] == []
    # wrong roles
    assert _submit(client, job, tokens["ministry"]).status_code == 403
    assert _submit(client, job, tokens["auditor"]).status_code == 403
    assert _submit(client, job, tokens["officer"]).status_code == 200
    for role in ("officer", "auditor", "worker"):
        r = client.post(f"/api/v1/job-orders/{job}/verify", json={}, headers=tokens[role])
        assert r.status_code == 403, role
    # reject needs a reason; with one, the agency may resubmit
    r = client.post(f"/api/v1/job-orders/{job}/reject", json={"reason": "  "},
                    headers=tokens["ministry"])
    assert r.status_code == 422 and "reason" in r.json()["detail"]
    r = client.post(f"/api/v1/job-orders/{job}/reject", json={"reason": "stamp illegible"},
                    headers=tokens["ministry"])
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert "rejected" in r.json()["why_not_matchable"][0]
    hist = client.get(f"/api/v1/job-orders/{job}/history", headers=tokens["officer"]).json()
    assert hist["transitions"][-1]["reason"] == "stamp illegible"
    # another agency's order: the officer cannot see it
    theirs = _draft(client, tokens, officer, agency="other_agency")
    assert _submit(client, theirs, tokens["officer"]).status_code == 404


def test_status_cannot_be_set_directly(client, tokens, officer):
    base = {"employer_id": officer["employer_id"], "agency_id": officer["agency_id"],
            "destination": "Qatar", "title": "Driver",
            "deadline": (dt.date.today() + dt.timedelta(days=20)).isoformat()}
    for extra in ({"status": "verified"}, {"demand_letter_attested": True}):
        r = client.post("/api/v1/job-orders", headers=tokens["admin"], json=base | extra)
        assert r.status_code == 422, extra
    job = _draft(client, tokens, officer)
    r = client.patch(f"/api/v1/job-orders/{job}", json={"status": "verified"},
                     headers=tokens["admin"])
    assert r.status_code == 422
    assert client.get(f"/api/v1/job-orders/{job}", headers=tokens["admin"]).json()[
        "status"] == "draft"


def test_expired_the_day_after_the_deadline_injected_clock(client, tokens, officer, seeded):
    job = _draft(client, tokens, officer, days=2)
    submit_and_verify(client, job, tokens["officer"], tokens["ministry"])
    with session_scope(seeded["settings"].database_url) as s:
        deadline = s.get(JobOrder, job).deadline
    app = client.app
    ix = app.state.indexer
    on_deadline = Scheduler(ix, seeded["settings"].database_url, today=lambda: deadline)
    on_deadline.tick()
    assert client.get(f"/api/v1/job-orders/{job}", headers=tokens["admin"]).json()[
        "status"] == "verified"  # still in date on its deadline
    day_after = Scheduler(ix, seeded["settings"].database_url,
                          today=lambda: deadline + dt.timedelta(days=1))
    day_after.tick()
    assert day_after.runs["expiry"] == 1
    got = client.get(f"/api/v1/job-orders/{job}", headers=tokens["admin"]).json()
    assert got["status"] == "expired" and not got["matchable"] and not got["verified"]
    assert "deadline" in got["why_not_matchable"][0]
    listed = client.get("/api/v1/job-orders?status=verified&limit=500",
                        headers=tokens["admin"]).json()
    assert job not in [j["id"] for j in listed["items"]]
    expired = client.get("/api/v1/job-orders?status=expired&limit=500",
                         headers=tokens["admin"]).json()
    assert job in [j["id"] for j in expired["items"]]
    r = client.get(f"/api/v1/job-orders/{job}/candidates", headers=tokens["officer"])
    assert r.status_code == 409 and "deadline" in r.json()["detail"]
    assert ix.backend.get("jobs", job).fields["status"] == "expired"  # the index followed
    last = client.get(f"/api/v1/job-orders/{job}/history",
                      headers=tokens["admin"]).json()["transitions"][-1]
    assert (last["to_status"], last["username"]) == ("expired", "system")
    r = client.post(f"/api/v1/job-orders/{job}/close", json={}, headers=tokens["officer"])
    assert r.status_code == 200 and r.json()["status"] == "closed"


def test_scheduler_runs_on_a_new_day_and_stops(seeded):
    days = [dt.date(2030, 1, 1)]
    sched = Scheduler(seeded["indexer"], seeded["settings"].database_url,
                      today=lambda: days[0], tick_s=0.05, reconcile_every_s=0.2)
    sched.start()
    try:
        assert sched.running and sched.runs["expiry"] == 1  # at start-up
        days[0] = dt.date(2030, 1, 2)
        deadline = time.monotonic() + 10
        while (sched.runs["expiry"] < 2 or sched.runs["reconcile"] < 1) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sched.runs["expiry"] == 2 and sched.expired_on == dt.date(2030, 1, 2)
        assert sched.runs["reconcile"] >= 1
    finally:
        sched.stop()
    assert not sched.running


def test_the_app_starts_and_stops_its_scheduler(seeded):
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app(seeded["settings"], indexer=seeded["indexer"])) as c:
        sched = c.app.state.scheduler
        assert sched is not None and sched.running and sched.runs["expiry"] >= 1
    assert not sched.running  # stopped on shutdown (last: the shutdown closes the index)
