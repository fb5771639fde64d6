"""api/app.py: the health probe and what the app is made of."""

from __future__ import annotations

import pytest


def test_health(client):
    r = client.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_health_reports_the_backend_and_uptime(client):
    body = client.get("/health").json()
    assert body["database"] is True and body["search_backend"] == "embedded"
    assert body["uptime_s"] >= 0


@pytest.mark.usefixtures("client")  # a started app (its lifespan ran)
def test_a_started_app_keeps_numpy_blas_on_one_thread():
    # the query path's torch and BLAS pools would otherwise fight for the cores
    # (bench.rerank: first stage p50 52 → 29 ms on 2 cores)
    from threadpoolctl import threadpool_info

    blas = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    assert blas and set(blas) == {1}
