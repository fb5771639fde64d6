"""api/routes/job_orders.py: list, read, ranked candidates (officers confined to their agency)."""

from __future__ import annotations

from sqlalchemy import select

from registry.audit import access_row_worker_ids
from registry.db import session_scope
from registry.models import AccessLog


def test_candidates_role_matrix_and_agency_confinement(client, tokens, officer_job):
    own = f"/api/v1/job-orders/{officer_job['own']}/candidates?limit=5"
    assert client.get(own).status_code == 401
    assert client.get(own, headers=tokens["worker"]).status_code == 403
    assert client.get(own, headers=tokens["auditor"]).status_code == 403
    assert client.get(own, headers=tokens["officer"]).status_code == 200
    assert client.get(own, headers=tokens["admin"]).status_code == 200
    other = f"/api/v1/job-orders/{officer_job['other']}/candidates"
    assert client.get(other, headers=tokens["officer"]).status_code == 404
    listed = client.get("/api/v1/job-orders?limit=500", headers=tokens["officer"]).json()
    assert listed["total"] >= 1
    assert {j["agency"]["id"] for j in listed["items"]} == {officer_job["agency_id"]}


def test_candidates_are_eligible_ranked_explained_and_logged(client, tokens, officer_job,
                                                           seeded):
    r = client.get(f"/api/v1/job-orders/{officer_job['own']}/candidates?limit=10",
                   headers=tokens["officer"])
    body = r.json()
    scores = [i["score"] for i in body["items"]]
    assert scores == sorted(scores, reverse=True) and len(scores) > 0
    first = body["items"][0]
    assert set(first["score_parts"]) == {"keyword", "embedding", "skills", "occupation",
                                         "experience"}
    assert isinstance(first["matched_skills"], list) and isinstance(first["missing_skills"], list)
    assert sum(body["excluded"].values()) > 0  # some seeded workers fail a rule
    with session_scope(seeded["settings"].database_url) as s:
        rows = list(s.scalars(select(AccessLog).where(
            AccessLog.job_order_id == officer_job["own"], AccessLog.username == "officer")))
    # One row per view, naming every worker shown.
    assert [access_row_worker_ids(r) for r in rows][-1] == [i["worker_id"] for i in body["items"]]


def test_unverified_job_order_is_refused_with_the_reason(client, tokens, officer_job):
    r = client.get(f"/api/v1/job-orders/{officer_job['draft']}/candidates",
                   headers=tokens["admin"])
    assert r.status_code == 409 and "not verified" in r.json()["detail"]


def test_unknown_job_order_is_404(client, tokens):
    assert client.get("/api/v1/job-orders/999999/candidates",
                      headers=tokens["admin"]).status_code == 404
    assert client.get("/api/v1/job-orders/999999", headers=tokens["admin"]).status_code == 404


def test_bad_query_is_422_naming_the_parameter(client, tokens):
    r = client.get("/api/v1/job-orders?limit=0", headers=tokens["admin"])
    assert r.status_code == 422 and "limit" in r.json()["detail"]


def test_a_job_order_reads_back_with_its_etag(client, tokens, officer_job):
    r = client.get(f"/api/v1/job-orders/{officer_job['own']}", headers=tokens["officer"])
    assert r.status_code == 200
    body = r.json()
    assert r.headers["ETag"] == f'"{body["version"]}"'
    assert body["matchable"] is True and body["agency"]["id"] == officer_job["agency_id"]
    assert len(body["age_band"]) == 2 and body["age_band"][0] <= body["age_band"][1]
