"""Who may write what, bounded input, lost updates, idempotent creates, privacy of profiles.

Each test here reproduces one finding of the reliability/security review (issue 16) against the
real app on a seeded SQLite registry and embedded index.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from api.access import is_candidate
from registry.audit import access_row_worker_ids, log_access, prune_access_log
from registry.compliance import job_is_matchable
from registry.db import session_scope
from registry.models import AccessLog, Agency, Application, Attestation, JobOrder, User, Worker

ADMIN_ATTESTS = {"source": "GAMCA medical report and BMET smart card seen"}


@pytest.fixture(scope="module")
def people(seeded):
    """The demo officer's agency, its matchable job order, the demo worker and other workers."""
    today = dt.date.today()
    with session_scope(seeded["settings"].database_url) as s:
        officer = s.scalar(select(User).where(User.username == "officer"))
        worker_id = s.scalar(select(User.worker_id).where(User.username == "worker"))
        jobs = [j for j in s.scalars(select(JobOrder).where(
            JobOrder.agency_id == officer.agency_id).order_by(JobOrder.id))
            if job_is_matchable(j, today)]
        applicants = set(s.scalars(select(Application.worker_id).join(
            JobOrder, JobOrder.id == Application.job_order_id).where(
            JobOrder.agency_id == officer.agency_id)))
        workers = list(s.scalars(select(Worker).order_by(Worker.id)))
        hidden = next(w.id for w in workers if not w.consent and w.id not in applicants)
        candidate = next((w.id, j.id) for j in jobs for w in workers
                         if w.id not in applicants and is_candidate(w, j, today))
        other_job = s.scalar(select(JobOrder.id).where(JobOrder.agency_id != officer.agency_id))
    return {"agency": officer.agency_id, "job": jobs[0].id, "worker": worker_id,
            "hidden": hidden, "candidate": candidate, "other_job": other_job}


def _worker(settings, wid: int) -> Worker:
    with session_scope(settings.database_url) as s:
        w = s.get(Worker, wid)
        s.expunge(w)
        return w


# -- finding 4: a worker cannot make themselves eligible ------------------------------------------
def test_worker_cannot_set_attested_facts_about_themselves(client, tokens, people, seeded):
    before = _worker(seeded["settings"], people["worker"])
    jobs_before = client.get("/api/v1/me/eligible-jobs?limit=100", headers=tokens["worker"]).json()
    for body in ({"medical_fit": True}, {"bmet_registration": "BMET-FAKE"}, {"ntvqf_level": 6},
                 {"passport_expiry": "2040-01-01"}, {"certificates": ["NTVQF L6 welding"]},
                 {"ntvqf_level": 6, "attestation": {"source": "trust me"}}):
        r = client.patch(f"/api/v1/workers/{people['worker']}", json=body,
                         headers=tokens["worker"])
        assert r.status_code == 403, r.text
        assert next(iter(set(body) - {"attestation"})) in r.json()["detail"]
    after = _worker(seeded["settings"], people["worker"])
    assert (after.version, after.medical_fit, after.ntvqf_level, after.bmet_registration,
            after.passport_expiry) == (before.version, before.medical_fit, before.ntvqf_level,
                                       before.bmet_registration, before.passport_expiry)
    jobs_after = client.get("/api/v1/me/eligible-jobs?limit=100", headers=tokens["worker"]).json()
    assert len(jobs_after["items"]) == len(jobs_before["items"])
    # What is theirs to say, they may change.
    r = client.patch(f"/api/v1/workers/{people['worker']}", headers=tokens["worker"],
                     json={"languages": ["bangla", "English"], "self_description": "Mason."})
    assert r.status_code == 200 and r.json()["languages"] == ["Bangla", "English"]


def test_attested_facts_need_the_document_and_are_recorded(client, tokens, people, seeded):
    wid = people["candidate"][0]
    r = client.patch(f"/api/v1/workers/{wid}", headers=tokens["admin"], json={"ntvqf_level": 3})
    assert r.status_code == 422 and "attestation" in r.json()["detail"]
    r = client.patch(f"/api/v1/workers/{wid}", headers=tokens["officer"],
                     json={"ntvqf_level": 3, "attestation": {"source": "BTEB certificate seen",
                                                             "reference": "BTEB-2026-77"}})
    assert r.status_code == 200, r.text
    with session_scope(seeded["settings"].database_url) as s:
        rows = list(s.scalars(select(Attestation).where(Attestation.worker_id == wid)))
    assert [(a.field, a.value, a.attested_by, a.reference) for a in rows] == [
        ("ntvqf_level", "3", "officer", "BTEB-2026-77")]
    # An officer attests facts; the worker's own words are not theirs to change.
    r = client.patch(f"/api/v1/workers/{wid}", headers=tokens["officer"],
                     json={"self_description": "changed by an officer"})
    assert r.status_code == 403


# -- finding 6: officers see only applicants and eligible consenting candidates ------------------
def test_officer_sees_a_worker_only_as_candidate_or_applicant(client, tokens, people):
    r = client.get(f"/api/v1/workers/{people['hidden']}", headers=tokens["officer"])
    assert r.status_code == 404
    r = client.get(f"/api/v1/workers/{people['candidate'][0]}", headers=tokens["officer"])
    assert r.status_code == 200 and "passport_number" not in r.json()
    # Admins and auditors still see everyone (auditors without identity numbers).
    assert client.get(f"/api/v1/workers/{people['hidden']}",
                      headers=tokens["auditor"]).status_code == 200


def test_outcomes_follow_the_recruitment_steps(client, tokens, people, seeded):
    url = f"/api/v1/job-orders/{people['job']}/outcomes"
    r = client.post(url, json={"worker_id": people["hidden"], "status": "deployed"},
                    headers=tokens["officer"])
    assert r.status_code == 409 and "no application" in r.json()["detail"]
    r = client.post(url, json={"worker_id": people["hidden"], "status": "shortlisted"},
                    headers=tokens["officer"])
    assert r.status_code == 409 and "consented" in r.json()["detail"]
    with session_scope(seeded["settings"].database_url) as s:
        assert not s.scalar(select(Application.id).where(
            Application.worker_id == people["hidden"], Application.job_order_id == people["job"]))
    wid, job = people["candidate"]
    url = f"/api/v1/job-orders/{job}/outcomes"
    steps = [("selected", 409), ("shortlisted", 201), ("deployed", 409), ("selected", 200),
             ("selected", 200), ("deployed", 200), ("rejected", 409)]
    for step, code in steps:
        r = client.post(url, json={"worker_id": wid, "status": step}, headers=tokens["officer"])
        assert r.status_code == code, (step, r.text)
    # Another agency's job order does not exist for this officer.
    r = client.post(f"/api/v1/job-orders/{people['other_job']}/outcomes",
                    json={"worker_id": wid, "status": "shortlisted"}, headers=tokens["officer"])
    assert r.status_code == 404


# -- finding 7: lost updates ----------------------------------------------------------------------
def test_concurrent_patches_never_share_a_version(client, tokens, seeded):
    wids = [_worker(seeded["settings"], i).id for i in (5, 6)]
    start = {w: _worker(seeded["settings"], w).version for w in wids}
    got: list[tuple[int, int, int]] = []
    lock = threading.Lock()

    def patch(wid: int, n: int) -> None:
        for i in range(4):
            r = client.patch(f"/api/v1/workers/{wid}", headers=tokens["admin"],
                             json={"self_description": f"writer {n} edit {i}"})
            with lock:
                got.append((wid, r.status_code, r.json().get("version", -1)))

    threads = [threading.Thread(target=patch, args=(wids[n % 2], n)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(code for _, code, _ in got) == {200: 32}
    for wid in wids:
        versions = sorted(v for w, _, v in got if w == wid)
        assert versions == list(range(start[wid] + 1, start[wid] + 17))  # no duplicates
        assert _worker(seeded["settings"], wid).version == start[wid] + 16
        assert seeded["indexer"].backend.versions("workers")[wid] == start[wid] + 16


def test_stale_if_match_is_412(client, tokens):
    r = client.get("/api/v1/workers/7", headers=tokens["admin"])
    etag = r.headers["ETag"]
    assert etag == f'"{r.json()["version"]}"'
    ok = client.patch("/api/v1/workers/7", headers={**tokens["admin"], "If-Match": etag},
                      json={"self_description": "first"})
    assert ok.status_code == 200 and ok.headers["ETag"] != etag
    stale = client.patch("/api/v1/workers/7", headers={**tokens["admin"], "If-Match": etag},
                         json={"self_description": "second, from a stale form"})
    assert stale.status_code == 412 and "version" in stale.json()["detail"]
    assert client.get("/api/v1/workers/7", headers=tokens["admin"]).json()[
        "self_description"] == "first"
    assert client.patch("/api/v1/workers/7", headers={**tokens["admin"], "If-Match": "abc"},
                        json={"self_description": "x"}).status_code == 400


# -- finding 9: bounded input, no 500s ------------------------------------------------------------
@pytest.mark.parametrize("url", [
    "/api/v1/workers/9223372036854775808", "/api/v1/job-orders/18446744073709551616",
    "/api/v1/job-orders?offset=9223372036854775808", "/api/v1/agencies/-1",
    "/api/v1/audit/access-log?worker_id=9223372036854775808",
])
def test_huge_or_negative_ids_are_422(client, tokens, url):
    r = client.get(url, headers=tokens["admin"])
    assert r.status_code == 422, r.text


def _raw(client, method, url, headers, text):
    return client.request(method, url, content=text.encode("utf-8", "surrogatepass"),
                          headers={**headers, "Content-Type": "application/json"})


@pytest.mark.parametrize("body,field", [
    ('{"wage_amount": NaN}', "wage_amount"),
    ('{"wage_amount": Infinity}', "wage_amount"),
    ('{"wage_amount": 1e300}', "wage_amount"),
    ('{"title": "\\ud800 welder"}', "title"),
    ('{"\\udfff": 1}', ""),
    ('{"description": "nul \\u0000 byte"}', "description"),
])
def test_non_finite_numbers_and_broken_text_are_422(client, tokens, seeded, body, field):
    with session_scope(seeded["settings"].database_url) as s:
        before = s.get(JobOrder, 1).version
    r = _raw(client, "PATCH", "/api/v1/job-orders/1", tokens["admin"], body)
    assert r.status_code == 422, r.text
    assert field in r.json()["detail"]
    json.dumps(r.json(), ensure_ascii=False).encode("utf-8")  # the answer itself is valid text
    with session_scope(seeded["settings"].database_url) as s:
        assert s.get(JobOrder, 1).version == before


def test_oversized_body_is_413_and_long_fields_and_lists_are_422(client, tokens, people):
    big = {"self_description": "x" * 2_000_000}
    r = client.patch(f"/api/v1/workers/{people['worker']}", json=big, headers=tokens["worker"])
    assert r.status_code == 413 and len(r.content) < 200  # the body is not echoed back
    r = client.patch(f"/api/v1/workers/{people['worker']}", headers=tokens["worker"],
                     json={"self_description": "x" * 20_001})
    assert r.status_code == 422 and "self_description" in r.json()["detail"]
    assert len(r.content) < 2_000
    r = client.patch("/api/v1/workers/8", headers=tokens["admin"],
                     json={"certificates": [f"c{i}" for i in range(20_000)],
                           "attestation": ADMIN_ATTESTS})
    assert r.status_code == 422 and "certificates" in r.json()["detail"]
    r = client.patch("/api/v1/workers/8", headers=tokens["admin"], json={"district": "d" * 61})
    assert r.status_code == 422 and "district" in r.json()["detail"]


def test_languages_are_a_closed_list_and_nothing_is_stored_on_refusal(client, tokens, people,
                                                                      seeded):
    before = _worker(seeded["settings"], people["worker"])
    many = [f"lang{i}" for i in range(71)]
    for langs in (many, ["Klingon"]):
        r = client.patch(f"/api/v1/workers/{people['worker']}", headers=tokens["worker"],
                         json={"languages": langs})
        assert r.status_code == 422 and "languages" in r.json()["detail"]
    after = _worker(seeded["settings"], people["worker"])
    assert (after.version, after.languages) == (before.version, before.languages)
    assert seeded["indexer"].verify()["workers"].clean


# -- finding 11: CSV injection, access log, idempotent creates -------------------------------------
def test_csv_export_cannot_run_formulas(client, tokens):
    r = client.post("/api/v1/agencies", headers=tokens["admin"], json={
        "name": '=HYPERLINK("http://evil.example","click")', "licence_number": "RL-CSV-1",
        "licence_valid_until": "2030-01-01"})
    assert r.status_code == 201, r.text
    csv_text = client.get("/api/v1/audit/agencies?format=csv", headers=tokens["auditor"]).text
    line = next(x for x in csv_text.splitlines() if "RL-CSV-1" in x)
    assert "'=HYPERLINK" in line and ',=HYPERLINK' not in line and ',"=HYPERLINK' not in line


def test_candidates_view_is_one_access_log_row_and_old_rows_are_pruned(client, tokens, people,
                                                                       seeded):
    url = seeded["settings"].database_url
    with session_scope(url) as s:
        n0 = s.scalar(select(func.count(AccessLog.id)))
    r = client.get(f"/api/v1/job-orders/{people['job']}/candidates?limit=20",
                   headers=tokens["officer"])
    shown = [i["worker_id"] for i in r.json()["items"]]
    assert len(shown) > 1
    with session_scope(url) as s:
        assert s.scalar(select(func.count(AccessLog.id))) == n0 + 1
        row = s.scalar(select(AccessLog).order_by(AccessLog.id.desc()))
        assert access_row_worker_ids(row) == shown
    log = client.get(f"/api/v1/audit/access-log?worker_id={shown[-1]}",
                     headers=tokens["auditor"]).json()["items"]
    assert log and shown[-1] in log[0]["worker_ids"]
    with session_scope(url) as s:
        log_access(s, username="old", role="officer", action="read_profile", worker_ids=[1])
        s.flush()
        old = s.scalar(select(AccessLog).order_by(AccessLog.id.desc()))
        old.at = dt.datetime(2020, 1, 1)
    with session_scope(url) as s:
        assert prune_access_log(s, dt.date.today(), 730) >= 1
        assert not s.scalar(select(AccessLog.id).where(AccessLog.username == "old"))
        assert s.scalar(select(func.count(AccessLog.id))) >= n0 + 1


def test_create_with_an_idempotency_key_is_done_once(client, tokens, seeded):
    body = {"name": "Retry Ltd", "licence_number": "RL-IDEM-1",
            "licence_valid_until": "2031-01-01"}
    h = {**tokens["admin"], "Idempotency-Key": "create-agency-0001"}
    first = client.post("/api/v1/agencies", json=body, headers=h)
    again = client.post("/api/v1/agencies", json=body, headers=h)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
    with session_scope(seeded["settings"].database_url) as s:
        assert s.scalar(select(func.count(Agency.id)).where(
            Agency.licence_number == "RL-IDEM-1")) == 1
    other = client.post("/api/v1/agencies", json={**body, "licence_number": "RL-IDEM-2"},
                        headers=h)
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]
    assert client.post("/api/v1/agencies", json=body, headers={
        **tokens["admin"], "Idempotency-Key": "short"}).status_code == 400
