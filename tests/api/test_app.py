"""api/app.py: the health probe and what the app is made of."""

from __future__ import annotations


def test_health(client):
    r = client.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_health_reports_the_backend_and_uptime(client):
    body = client.get("/health").json()
    assert body["database"] is True and body["search_backend"] == "embedded"
    assert body["uptime_s"] >= 0
