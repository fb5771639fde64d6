"""api/routes/workers.py: create, read, patch within the field rules, delete; freshness."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from registry.db import session_scope
from registry.models import JobOrder, User

PRIVATE = {"phone", "nid_number", "passport_number", "bmet_registration"}


def test_unknown_worker_is_404(client, tokens):
    assert client.patch("/api/v1/workers/999999", json={"self_description": "x"},
                        headers=tokens["admin"]).status_code == 404
    assert client.get("/api/v1/workers/999999", headers=tokens["admin"]).status_code == 404


def test_bad_input_is_422_naming_the_field(client, tokens):
    r = client.post("/api/v1/workers", headers=tokens["admin"], json={
        "full_name": "A", "date_of_birth": "1990-13-45", "gender": "male"})
    assert r.status_code == 422 and "date_of_birth" in r.json()["detail"]
    r = client.post("/api/v1/workers", headers=tokens["admin"], json={
        "full_name": "A", "date_of_birth": "1990-01-01", "gender": "x"})
    assert r.status_code == 422 and "gender" in r.json()["detail"]
    r = client.post("/api/v1/workers", headers=tokens["admin"], json={
        "full_name": "A", "date_of_birth": "1990-01-01", "gender": "male", "skills": ["welding"]})
    assert r.status_code == 422 and "skills" in r.json()["detail"]


def test_a_new_worker_is_a_candidate_right_after_the_response(client, tokens, officer_job,
                                                              seeded):
    tax = seeded["indexer"].taxonomy
    with session_scope(seeded["settings"].database_url) as s:
        job = s.get(JobOrder, officer_job["own"])
        skills = list(job.required_skills) + list(job.optional_skills)
        deadline, occ = job.deadline, job.occupation_uri
        langs = list(job.languages)
    body = {"full_name": "Perfect Fit", "date_of_birth": "1994-02-02", "gender": "male",
            "passport_expiry": (deadline + dt.timedelta(days=900)).isoformat(),
            "medical_fit": True, "ntvqf_level": 5, "languages": ["Bangla", *langs],
            "experience": [{"occupation_uri": occ, "years": 8}], "skills": skills,
            "self_description": f"I worked 8 years as {tax.occupations[occ].label}.",
            "bmet_registration": "BMET-1", "consent": True,
            "attestation": {"source": "BMET card, GAMCA report and passport seen"}}
    r = client.post("/api/v1/workers", headers=tokens["admin"], json=body)
    assert r.status_code == 201, r.text
    wid = r.json()["id"]
    cands = client.get(f"/api/v1/job-orders/{officer_job['own']}/candidates?limit=5",
                       headers=tokens["officer"]).json()
    assert cands["items"][0]["worker_id"] == wid
    assert cands["items"][0]["missing_skills"] == []
    # A change that makes the worker ineligible removes them at once.
    r = client.patch(f"/api/v1/workers/{wid}", headers=tokens["admin"],
                     json={"passport_expiry": deadline.isoformat(),
                           "attestation": {"source": "passport renewal seen"}})
    assert r.status_code == 200 and r.json()["version"] == 2
    cands = client.get(f"/api/v1/job-orders/{officer_job['own']}/candidates?limit=50",
                       headers=tokens["officer"]).json()
    assert wid not in {i["worker_id"] for i in cands["items"]}
    assert client.delete(f"/api/v1/workers/{wid}", headers=tokens["admin"]).status_code == 204
    assert seeded["indexer"].backend.get("workers", wid) is None


def test_worker_may_edit_only_their_own_profile(client, tokens, seeded):
    with session_scope(seeded["settings"].database_url) as s:
        wid = s.scalar(select(User.worker_id).where(User.username == "worker"))
    r = client.patch(f"/api/v1/workers/{wid}", headers=tokens["worker"],
                     json={"self_description": "I am a mason and tile setter."})
    assert r.status_code == 200
    assert client.patch(f"/api/v1/workers/{wid + 1}", headers=tokens["worker"],
                        json={"ntvqf_level": 3}).status_code == 403
    assert client.patch(f"/api/v1/workers/{wid}", headers=tokens["officer"],
                        json={"self_description": "not theirs to say"}).status_code == 403


def test_identity_numbers_only_for_the_worker_and_admins(client, tokens, seeded):
    with session_scope(seeded["settings"].database_url) as s:
        wid = s.scalar(select(User.worker_id).where(User.username == "worker"))
    for role in ("worker", "admin"):
        body = client.get(f"/api/v1/workers/{wid}", headers=tokens[role]).json()
        assert PRIVATE <= set(body), role
    body = client.get(f"/api/v1/workers/{wid}", headers=tokens["auditor"]).json()
    assert body["id"] == wid and not PRIVATE & set(body)  # left out, not sent as null


def test_search_documents_hold_no_identity_numbers(seeded):
    ix = seeded["indexer"]
    data = seeded["data"]
    doc = ix.backend.get("workers", 1)
    flat = repr(doc.fields) + repr(doc.payload)
    w = data.workers[0]
    for secret in (w["phone"], w["nid_number"], w["passport_number"], w["full_name"]):
        if secret:
            assert secret not in flat
