"""Celery + Elasticsearch freshness under faults, on the real services.

A worker SIGKILLed while draining 10,000 updates loses nothing and duplicates nothing once
restarted; writes keep succeeding while Redis or Elasticsearch is stopped, and the index
converges when the service is back (``shetu index verify`` clean). Every worker and beat this
module starts is killed by its process group id; every service it stops is started again.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from live_services import (
    BROKER_URL,
    ES_URL,
    needs_es,
    needs_postgres,
    needs_redis,
    port_open,
    services,
    throwaway_database,
    wait_until,
)
from sqlalchemy import func, select, text
from support import DATA_DIR, make_settings, seed_registry

from api.app import create_app
from indexer.celery_app import configure
from indexer.documents import JOBS, WORKERS
from registry.compliance import job_is_matchable
from registry.config import REPO_ROOT
from registry.db import session_scope
from registry.models import JobOrder, OutboxEvent, Worker

pytestmark = [pytest.mark.integration, needs_postgres, needs_es, needs_redis]
WORKERS_N = 2000
ROUNDS = 5  # 2,000 workers × 5 rounds = 10,000 updates
# A Redis database of its own, so that no other worker consumes these tasks.
TEST_BROKER = BROKER_URL.rsplit("/", 1)[0] + "/11" if BROKER_URL else ""


@pytest.fixture(scope="module")
def stack(tmp_path_factory, taxonomy):
    """PostgreSQL + Elasticsearch + Redis settings, seeded with 2,000 workers, indexed."""
    with throwaway_database() as url:
        var = tmp_path_factory.mktemp("celery")
        settings = make_settings(var, database_url=url, search_backend="elasticsearch",
                                 elasticsearch_url=ES_URL, elasticsearch_timeout_s=5,
                                 index_prefix=f"shetu-test-{uuid.uuid4().hex[:8]}",
                                 broker_url=TEST_BROKER, freshness="celery")
        out = seed_registry(settings, taxonomy, workers=WORKERS_N, job_orders=40, agencies=6)
        configure(settings)
        env = {**os.environ, "SHETU_ENV": "test", "SHETU_VAR_DIR": str(var),
               "SHETU_DATA_DIR": str(DATA_DIR), "SHETU_MODEL": "hashing",
               "SHETU_DATABASE_URL": url, "SHETU_SEARCH_BACKEND": "elasticsearch",
               "SHETU_ELASTICSEARCH_URL": ES_URL, "SHETU_ELASTICSEARCH_TIMEOUT_S": "5",
               "SHETU_INDEX_PREFIX": settings.index_prefix, "SHETU_BROKER_URL": TEST_BROKER,
               "SHETU_FRESHNESS": "celery", "HF_HUB_OFFLINE": "1"}
        out.update(settings=settings, env=env, var=var)
        procs = Procs(env, var)
        out["procs"] = procs
        try:
            yield out
        finally:
            procs.kill_all()
            if not port_open(BROKER_URL):
                services("up", "redis")
            if not port_open(ES_URL):
                services("up", "es")
            backend = out["indexer"].backend
            for index in (WORKERS, JOBS):
                backend.drop_index(index)
            backend.close()


class Procs:
    """Celery processes started by this module, each in its own process group."""

    def __init__(self, env: dict[str, str], var: Path) -> None:
        self.env, self.var, self.running = env, var, {}

    def start(self, role: str) -> subprocess.Popen:
        """Start ``shetu worker`` or ``shetu beat`` and wait until it is ready."""
        args = ["worker", "--pool", "solo"] if role == "worker" else ["beat"]
        log = self.var / f"{role}-{time.monotonic_ns()}.log"
        p = subprocess.Popen([sys.executable, "-m", "api.cli", *args, "--loglevel", "info"],
                             cwd=REPO_ROOT, env=self.env, stdout=open(log, "wb"),  # noqa: SIM115
                             stderr=subprocess.STDOUT, start_new_session=True)
        self.running[role] = (p, log)
        ready = "ready." if role == "worker" else "beat: Starting"
        wait_until(lambda: ready in log.read_text(errors="replace") or p.poll() is not None,
                   60, f"{role} to start")
        assert p.poll() is None, log.read_text()
        return p

    def kill(self, role: str) -> None:
        """SIGKILL a started process's group (the process and any pool children)."""
        p, _ = self.running.pop(role)
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        p.wait(10)

    def kill_all(self) -> None:
        """Kill everything this module started."""
        for role in list(self.running):
            self.kill(role)


def pending(settings) -> int:
    with session_scope(settings.database_url) as s:
        return s.scalar(select(func.count(OutboxEvent.id))
                        .where(OutboxEvent.processed_at.is_(None))) or 0


def shetu_verify(env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "api.cli", "index", "verify"], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def converged(stack) -> bool:
    return pending(stack["settings"]) == 0 and stack["indexer"].verify()["workers"].clean \
        and stack["indexer"].verify()["jobs"].clean


@pytest.fixture
def api(stack):
    app = create_app(stack["settings"], indexer=stack["indexer"], warm_up=False)
    with TestClient(app) as c:
        r = c.post("/api/v1/auth/token", data={"username": "admin", "password": "shetu-demo"})
        c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        yield c


def new_worker(i: int) -> dict:
    return {"full_name": f"Fault Test {i}", "date_of_birth": "1995-05-05", "gender": "male",
            "languages": ["Bangla"], "self_description": f"tile setter and mason number {i}",
            "consent": True}


def test_a_write_through_the_api_is_searchable_via_the_worker(stack, api):
    stack["procs"].start("worker")
    t0 = time.monotonic()
    r = api.post("/api/v1/workers", json=new_worker(0))
    assert r.status_code == 201
    wid = r.json()["id"]
    wait_until(lambda: stack["indexer"].backend.get(WORKERS, wid), 10, "the worker indexed")
    assert time.monotonic() - t0 < 10


def test_sigkill_while_draining_10000_updates_loses_and_duplicates_nothing(stack):
    settings, procs = stack["settings"], stack["procs"]
    if "worker" not in procs.running:
        procs.start("worker")
    with session_scope(settings.database_url) as s:  # record + outbox in one transaction
        for _ in range(ROUNDS):
            s.execute(text("UPDATE workers SET version = version + 1, "
                           "self_description = self_description || ' (updated)' "
                           f"WHERE id <= {WORKERS_N}"))
            s.execute(text("INSERT INTO outbox (entity, entity_id, version, op, created_at, "
                           "attempts) SELECT 'worker', id, version, 'upsert', now(), 0 "
                           f"FROM workers WHERE id <= {WORKERS_N}"))
    assert pending(settings) == WORKERS_N * ROUNDS
    from indexer.tasks import drain_outbox

    drain_outbox.apply_async(retry=False)
    wait_until(lambda: pending(settings) <= WORKERS_N * ROUNDS - 1500, 120,
               "the worker to drain 1,500 updates")
    procs.kill("worker")
    left = pending(settings)
    assert 0 < left < WORKERS_N * ROUNDS, "the worker should die mid-drain"
    procs.start("worker")
    procs.start("beat")  # the safety net re-triggers the drain the dead worker held
    wait_until(lambda: pending(settings) == 0, 180, "the outbox to drain after the restart")
    r = shetu_verify(stack["env"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "workers: clean" in r.stdout and "jobs: clean" in r.stdout
    backend = stack["indexer"].backend
    versions = backend.versions(WORKERS)
    # No duplicates: one live document per worker, at the newest version.
    with session_scope(settings.database_url) as s:
        registered = s.scalar(select(func.count(Worker.id)))
    assert backend.count(WORKERS) == len(versions) == registered
    assert all(versions[i] == 1 + ROUNDS for i in range(1, WORKERS_N + 1))


def test_writes_succeed_while_redis_is_down_and_converge_after(stack, api):
    procs = stack["procs"]
    for role in ("worker", "beat"):
        if role not in procs.running:
            procs.start(role)
    services("down", "redis")
    try:
        ids = []
        for i in range(1, 6):
            t0 = time.monotonic()
            r = api.post("/api/v1/workers", json=new_worker(100 + i))
            assert r.status_code == 201, r.text
            assert time.monotonic() - t0 < 5, "a down broker must not hold the response"
            ids.append(r.json()["id"])
        assert pending(stack["settings"]) >= 5
    finally:
        services("up", "redis")
    wait_until(lambda: converged(stack), 120, "the index to converge after Redis returned")
    assert all(stack["indexer"].backend.get(WORKERS, i) for i in ids)


def test_writes_succeed_while_elasticsearch_is_down_and_converge_after(stack, api):
    procs = stack["procs"]
    for role in ("worker", "beat"):
        if role not in procs.running:
            procs.start(role)
    services("down", "es")
    try:
        ids = []
        for i in range(1, 6):
            r = api.post("/api/v1/workers", json=new_worker(200 + i))
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        r = api.patch(f"/api/v1/workers/{ids[0]}", json={"ntvqf_level": 3,
                      "attestation": {"source": "NTVQF level 3 certificate seen"}})
        assert r.status_code == 200 and r.json()["version"] == 2, r.text
        # Search is down: a clear 503, not a hang.
        with session_scope(stack["settings"].database_url) as s:
            jid = next(j.id for j in s.scalars(select(JobOrder))
                       if job_is_matchable(j, dt.date.today()))
        t0 = time.monotonic()
        r = api.get(f"/api/v1/job-orders/{jid}/candidates")
        assert r.status_code == 503 and "search is unavailable" in r.json()["detail"], r.text
        assert time.monotonic() - t0 < 15
        assert pending(stack["settings"]) >= 6
    finally:
        services("up", "es")
    wait_until(lambda: converged(stack), 180, "the index to converge after Elasticsearch returned")
    assert stack["indexer"].backend.get(WORKERS, ids[0]).version == 2
    r = shetu_verify(stack["env"])
    assert r.returncode == 0, r.stdout + r.stderr
