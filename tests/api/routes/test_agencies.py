"""api/routes/agencies.py: list, read, create (unique licence numbers), delete."""

from __future__ import annotations


def test_duplicate_licence_number_is_409_and_nothing_half_written(client, tokens):
    body = {"name": "Dup Ltd", "licence_number": "RL-1000",
            "licence_valid_until": "2030-01-01"}
    before = client.get("/api/v1/agencies?limit=1000", headers=tokens["admin"]).json()["total"]
    r = client.post("/api/v1/agencies", headers=tokens["admin"], json=body)
    assert r.status_code == 409 and "RL-1000" in r.json()["detail"]
    after = client.get("/api/v1/agencies?limit=1000", headers=tokens["admin"]).json()["total"]
    assert after == before


def test_unknown_agency_is_404(client, tokens):
    assert client.delete("/api/v1/agencies/999999", headers=tokens["admin"]).status_code == 404
    assert client.get("/api/v1/agencies/999999", headers=tokens["admin"]).status_code == 404


def test_create_then_read_an_agency(client, tokens):
    body = {"name": "Fair Recruit Ltd", "licence_number": "RL-T-0001",
            "licence_valid_until": "2031-06-30", "district": "Dhaka"}
    r = client.post("/api/v1/agencies", headers=tokens["admin"], json=body)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["licence_status"] == "valid" and made["licence_valid_until"] == "2031-06-30"
    assert r.headers["ETag"] == '"1"'
    again = client.get(f"/api/v1/agencies/{made['id']}", headers=tokens["officer"])
    assert again.json() == made
