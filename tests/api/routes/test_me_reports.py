"""api/routes/me_reports.py: the worker opens a job, expresses and withdraws interest, edits
their own profile, reports a fee and complains; bad input is 422 with nothing stored, and a
worker never acts for another worker."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from registry.audit_rules.overview import audit_agency
from registry.compliance import cost_ceilings
from registry.db import session_scope
from registry.models import (
    Complaint,
    ExpressionOfInterest,
    FeeReport,
    JobOrder,
    User,
    Worker,
)
from registry.security import hash_password


def _count(seeded, model) -> int:  # type: ignore[no-untyped-def]
    with session_scope(seeded["settings"].database_url) as s:
        return s.scalar(select(func.count()).select_from(model))


def _a_job(client, tokens) -> dict:  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/me/eligible-jobs", headers=tokens["worker"]).json()
    jobs = body["items"] + body["not_eligible"]
    assert jobs
    return jobs[0]


@pytest.fixture(scope="module")
def other_worker(client, seeded):  # type: ignore[no-untyped-def]
    """A second worker account (the demo has one), signed in."""
    with session_scope(seeded["settings"].database_url) as s:
        demo = s.scalar(select(User).where(User.username == "worker"))
        wid = s.scalar(select(Worker.id).where(Worker.id != demo.worker_id).limit(1))
        if s.scalar(select(User).where(User.username == "worker2")) is None:
            s.add(User(username="worker2", password_hash=hash_password("another-pass-123"),
                       role="worker", worker_id=wid))
    r = client.post("/api/v1/auth/token", data={"username": "worker2",
                                                "password": "another-pass-123"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_job_page_states_the_cost_rule_wage_in_taka_and_eligibility(client, tokens, seeded):
    job = _a_job(client, tokens)
    r = client.get(f"/api/v1/me/jobs/{job['job_order_id']}", headers=tokens["worker"])
    assert r.status_code == 200, r.text
    body = r.json()
    ceiling = cost_ceilings(seeded["settings"].data_dir).get(body["destination"])
    assert body["cost_rule"]["ceiling_bdt"] == (ceiling.amount_bdt if ceiling else None)
    assert body["cost_rule"]["employer_pays"] is True
    assert body["cost_rule"]["report_url"].startswith("/worker/report-fee?job_order_id=")
    assert body["agency"]["licence_number"] and body["employer"]["name"]
    if body["wage"]["currency"] in ("SAR", "AED", "MYR", "QAR", "KWD", "OMR", "BHD", "SGD"):
        taka = body["wage_bdt"]
        assert taka["amount_bdt"] == pytest.approx(body["wage"]["amount"] * taka["rate"], abs=1)
        assert taka["rate_date"] and taka["source"]
    assert body["eligible"] == (not body["failures"])
    assert all(f["fix"] for f in body["failures"])


def test_a_draft_job_is_not_found_for_a_worker(client, tokens, seeded):
    with session_scope(seeded["settings"].database_url) as s:
        draft = s.scalar(select(JobOrder.id).where(JobOrder.status == "draft").limit(1))
    if draft is None:
        pytest.skip("no draft job order in this seed")
    assert client.get(f"/api/v1/me/jobs/{draft}", headers=tokens["worker"]).status_code == 404


def test_express_and_withdraw_interest_and_see_the_status(client, tokens, other_worker):
    job = _a_job(client, tokens)
    r = client.post("/api/v1/me/interests", json={"job_order_id": job["job_order_id"]},
                    headers=tokens["worker"])
    assert r.status_code in (200, 201), r.text
    interest = r.json()
    assert interest["status"] == "active"
    mine = client.get("/api/v1/me/interests", headers=tokens["worker"]).json()["items"]
    assert any(i["id"] == interest["id"] and i["status"] == "active" for i in mine)
    # another worker can neither withdraw it nor see it
    r = client.post(f"/api/v1/me/interests/{job['job_order_id']}/withdraw", headers=other_worker)
    assert r.status_code == 404
    still = client.get("/api/v1/me/interests", headers=tokens["worker"]).json()["items"]
    assert any(i["id"] == interest["id"] and i["status"] == "active" for i in still)
    theirs = client.get("/api/v1/me/interests", headers=other_worker).json()["items"]
    assert interest["id"] not in {i["id"] for i in theirs}
    r = client.post(f"/api/v1/me/interests/{job['job_order_id']}/withdraw",
                    headers=tokens["worker"])
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    job_view = client.get(f"/api/v1/me/jobs/{job['job_order_id']}",
                          headers=tokens["worker"]).json()
    assert job_view["interest"]["status"] == "withdrawn"
    # again: the same row becomes active
    r = client.post("/api/v1/me/interests", json={"job_order_id": job["job_order_id"]},
                    headers=tokens["worker"])
    assert r.status_code == 200 and r.json()["id"] == interest["id"]


def test_interest_in_an_unknown_or_draft_job_is_refused(client, tokens, seeded):
    before = _count(seeded, ExpressionOfInterest)
    assert client.post("/api/v1/me/interests", json={"job_order_id": 1_999_999},
                       headers=tokens["worker"]).status_code == 404
    assert client.post("/api/v1/me/interests", json={"job_order_id": "x"},
                       headers=tokens["worker"]).status_code == 422
    assert client.post("/api/v1/me/interests", json={"job_order_id": 1, "worker_id": 2},
                       headers=tokens["worker"]).status_code == 422
    assert _count(seeded, ExpressionOfInterest) == before


def test_profile_edit_follows_the_field_rules(client, tokens):
    before = client.get("/api/v1/me", headers=tokens["worker"]).json()
    r = client.patch("/api/v1/me", json={"self_description": "আমি ৫ বছর সৌদি আরবে রাজমিস্ত্রি "
                                         "হিসেবে কাজ করেছি", "languages": ["Bangla", "Arabic"]},
                     headers=tokens["worker"])
    assert r.status_code == 200, r.text
    assert r.json()["self_description"].startswith("আমি") and "Arabic" in r.json()["languages"]
    assert r.json()["version"] == before["version"] + 1
    # attested facts are read-only for the worker: 403 naming the field, nothing changed
    r = client.patch("/api/v1/me", json={"medical_fit": True, "self_description": "x"},
                     headers=tokens["worker"])
    assert r.status_code == 403 and "medical_fit" in r.json()["detail"]
    r = client.patch("/api/v1/me", json={"languages": ["Klingon"]}, headers=tokens["worker"])
    assert r.status_code == 422 and "Klingon" in r.json()["detail"]
    after = client.get("/api/v1/me", headers=tokens["worker"]).json()
    assert after["self_description"].startswith("আমি") and after["medical_fit"] == \
        before["medical_fit"]
    assert client.patch("/api/v1/me", json={"phone": "1"},
                        headers=tokens["officer"]).status_code == 403
    done = client.get("/api/v1/me/completeness", headers=tokens["worker"]).json()
    assert 0 <= done["percent"] <= 100 and "self_description" not in done["missing"]


def test_skill_suggestions_in_english_and_bangla(client, tokens):
    r = client.get("/api/v1/me/skill-suggestions", params={"q": "weld"},
                   headers=tokens["worker"])
    assert r.status_code == 200
    assert any("weld" in s["label"].lower() for s in r.json()["items"])
    r = client.get("/api/v1/me/skill-suggestions", params={"q": "রান্না"},
                   headers=tokens["worker"])
    assert r.status_code == 200 and r.json()["items"], "no skill found by its Bangla name"
    assert client.get("/api/v1/me/skill-suggestions", params={"q": "x" * 101},
                      headers=tokens["worker"]).status_code == 422


def test_fee_above_the_ceiling_is_stored_and_is_an_audit_finding(client, tokens, seeded):
    job = _a_job(client, tokens)
    view = client.get(f"/api/v1/me/jobs/{job['job_order_id']}", headers=tokens["worker"]).json()
    ceiling = view["cost_rule"]["ceiling_bdt"] or 100_000
    r = client.post("/api/v1/me/fee-reports", headers=tokens["worker"], json={
        "agency_id": view["agency"]["id"], "job_order_id": view["job_order_id"],
        "amount_bdt": ceiling + 150_000, "purpose": "recruitment_fee",
        "paid_on": (dt.date.today() - dt.timedelta(days=3)).isoformat(), "note": "cash"})
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["status"] == "received"
    mine = client.get("/api/v1/me/fee-reports", headers=tokens["worker"]).json()["items"]
    assert report["id"] in {f["id"] for f in mine}
    with session_scope(seeded["settings"].database_url) as s:
        audit = audit_agency(s, seeded["settings"].data_dir, view["agency"]["id"],
                             dt.date.today())
    rule = "fee_above_ceiling" if view["cost_rule"]["ceiling_bdt"] else "fee_ceiling_unknown"
    assert any(f["rule"] == rule and any(e["kind"] == "fee_report" and e["id"] == report["id"]
                                         for e in f["evidence"])
               for f in audit["findings"]), audit["findings"]


@pytest.mark.parametrize("change", [
    {"amount_bdt": -5}, {"amount_bdt": 10**9}, {"purpose": "bribe"},
    {"paid_on": (dt.date.today() + dt.timedelta(days=30)).isoformat()},
    {"agency_id": 0}, {"note": "x" * 5000}, {"worker_id": 1},
])
def test_a_bad_fee_report_is_422_and_nothing_is_stored(client, tokens, seeded, change):
    job = _a_job(client, tokens)
    body = {"agency_id": job["agency"]["id"], "amount_bdt": 5000, "purpose": "visa",
            "paid_on": dt.date.today().isoformat(), **change}
    before = _count(seeded, FeeReport)
    r = client.post("/api/v1/me/fee-reports", json=body, headers=tokens["worker"])
    assert r.status_code == 422, r.text
    assert _count(seeded, FeeReport) == before


def test_a_job_of_another_agency_is_refused(client, tokens, seeded):
    job = _a_job(client, tokens)
    with session_scope(seeded["settings"].database_url) as s:
        other = s.scalar(select(JobOrder.id).where(JobOrder.agency_id != job["agency"]["id"])
                         .limit(1))
    before = _count(seeded, FeeReport)
    r = client.post("/api/v1/me/fee-reports", headers=tokens["worker"], json={
        "agency_id": job["agency"]["id"], "job_order_id": other, "amount_bdt": 5000,
        "purpose": "visa", "paid_on": dt.date.today().isoformat()})
    assert r.status_code == 422 and "job_order_id" in r.json()["detail"]
    assert _count(seeded, FeeReport) == before


def test_complaint_is_stored_open_and_only_the_worker_sees_it(client, tokens, seeded,
                                                            other_worker):
    job = _a_job(client, tokens)
    before = _count(seeded, Complaint)
    for bad in ({"category": "gossip"}, {"text": ""}, {"text": "x" * 5000},
                {"agency_id": 1_999_999}):
        body = {"agency_id": job["agency"]["id"], "category": "passport_retention",
                "text": "The agent kept my passport.", **bad}
        r = client.post("/api/v1/me/complaints", json=body, headers=tokens["worker"])
        assert r.status_code in (404, 422), r.text
    assert _count(seeded, Complaint) == before
    r = client.post("/api/v1/me/complaints", headers=tokens["worker"], json={
        "agency_id": job["agency"]["id"], "category": "passport_retention",
        "text": "দালাল আমার পাসপোর্ট রেখে দিয়েছে।"})
    assert r.status_code == 201 and r.json()["status"] == "open"
    assert r.json()["id"] in {c["id"] for c in client.get(
        "/api/v1/me/complaints", headers=tokens["worker"]).json()["items"]}
    assert r.json()["id"] not in {c["id"] for c in client.get(
        "/api/v1/me/complaints", headers=other_worker).json()["items"]}
    assert client.get("/api/v1/me/complaints", headers=tokens["officer"]).status_code == 403
