"""api/routes/employers.py: list, read, create, change; retiring an employer (``active`` false)
makes its job orders unmatchable — the same service as the admin's employer pages."""

from __future__ import annotations


def test_create_read_and_list_an_employer(client, tokens):
    r = client.post("/api/v1/employers", headers=tokens["admin"],
                    json={"name": "Doha Build Co.", "country": "Qatar", "sector": "construction"})
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["active"] is True and made["version"] == 1 and r.headers["ETag"] == '"1"'
    assert client.get(f"/api/v1/employers/{made['id']}", headers=tokens["auditor"]).json() == made
    listed = client.get("/api/v1/employers?limit=1000", headers=tokens["officer"]).json()
    assert made in listed["items"] and listed["total"] >= len(listed["items"])


def test_bad_employer_is_422_naming_the_field_and_nothing_is_stored(client, tokens):
    before = client.get("/api/v1/employers?limit=1", headers=tokens["admin"]).json()["total"]
    for body in ({"name": "No Country"}, {"name": "", "country": "Oman"},
                 {"name": "X", "country": "Oman", "sector": "s" * 500}):
        r = client.post("/api/v1/employers", headers=tokens["admin"], json=body)
        assert r.status_code == 422, body
        field = "country" if "country" not in body else ("name" if not body["name"] else "sector")
        assert field in r.json()["detail"], r.json()
    after = client.get("/api/v1/employers?limit=1", headers=tokens["admin"]).json()["total"]
    assert after == before


def test_retired_employer_makes_its_job_orders_unmatchable(client, tokens, officer_job):
    job = client.get(f"/api/v1/job-orders/{officer_job['own']}", headers=tokens["admin"]).json()
    assert job["matchable"] is True
    employer = job["employer"]["id"]
    got = client.get(f"/api/v1/employers/{employer}", headers=tokens["admin"])
    version = got.json()["version"]
    stale = client.patch(f"/api/v1/employers/{employer}", headers={
        **tokens["admin"], "If-Match": f'"{version + 5}"'}, json={"active": False})
    assert stale.status_code == 412
    r = client.patch(f"/api/v1/employers/{employer}", headers={
        **tokens["admin"], "If-Match": f'"{version}"'}, json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert r.headers["ETag"] == f'"{version + 1}"'
    job = client.get(f"/api/v1/job-orders/{officer_job['own']}", headers=tokens["admin"]).json()
    assert job["matchable"] is False and "employer_inactive" in job["why_not_matchable_codes"]
    inactive = client.get("/api/v1/employers?active=false&limit=1000",
                          headers=tokens["admin"]).json()["items"]
    assert employer in [e["id"] for e in inactive]
    r = client.patch(f"/api/v1/employers/{employer}", headers=tokens["admin"],
                     json={"active": True})
    assert r.status_code == 200
    assert client.get(f"/api/v1/job-orders/{officer_job['own']}",
                      headers=tokens["admin"]).json()["matchable"] is True


def test_officer_cannot_change_an_employer(client, tokens):
    assert client.patch("/api/v1/employers/1", headers=tokens["officer"],
                        json={"name": "Mine now"}).status_code == 403
