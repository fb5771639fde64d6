"""Crash tests: writers running, the server (or a service) killed, everything acknowledged kept.

The embedded default, as `make run` serves it: ``shetu serve`` as a subprocess on 127.0.0.1,
admin writers creating and patching workers through the API, ``kill -9`` of the server mid-
stream, a restart, and then every write acknowledged with a 2xx is in the registry and in the
index at (at least) its acknowledged version, ``shetu index verify`` clean — with no manual step.

The services variants (``integration``: Redis, PostgreSQL, Elasticsearch from
``scripts/services.sh``) do the same with the Celery worker killed, and with Redis and
Elasticsearch stopped and started again.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from live_services import (
    BROKER_URL,
    ES_URL,
    port_open,
    services,
    sqlalchemy_url,
    throwaway_database,
    wait_until,
)
from support import DATA_DIR, POSTGRES_URL

from registry.config import REPO_ROOT

WRITERS = 3
ACKS_BEFORE_KILL = 45
SEED_WORKERS = 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHETU_")}
    env.update({"SHETU_VAR_DIR": str(var_dir), "SHETU_DATA_DIR": str(DATA_DIR),
                "SHETU_MODEL": "hashing", "SHETU_ENV": "test", "HF_HUB_OFFLINE": "1",
                "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})
    env.update(extra)
    return env


def shetu(env: dict[str, str], *args: str, check: bool = True,
          timeout: float = 300) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=REPO_ROOT, env=env,
                       capture_output=True, text=True, timeout=timeout)
    if check:
        assert r.returncode == 0, f"shetu {' '.join(args)}: {r.stdout}\n{r.stderr}"
    return r


class Server:
    """``shetu serve`` in a subprocess; killed by its own PID only."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1",
                 "--port", str(self.port)], cwd=REPO_ROOT, env=self.env, stdout=out,
                stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"the server exited with {self.proc.returncode} at start-up:\n"
                            + self.log.read_text()[-4000:])
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        pytest.fail("the server did not answer /health:\n" + self.log.read_text()[-4000:])

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill9()


def admin_token(url: str) -> str:
    r = httpx.post(url + "/api/v1/auth/token", data={"username": "admin",
                                                    "password": "shetu-demo"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


class Writers:
    """Threads that create and patch workers as admin, recording every 2xx answer."""

    def __init__(self, url: str, token: str, existing: int) -> None:
        self.url, self.headers, self.existing = url, {"Authorization": f"Bearer {token}"}, existing
        self.acked: dict[int, int] = {}  # worker id -> highest acknowledged version
        self.n_acked = 0
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(t,), daemon=True)
                         for t in range(WRITERS)]

    def __enter__(self) -> Writers:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=60)

    def _run(self, t: int) -> None:
        i = 0
        with httpx.Client(base_url=self.url, headers=self.headers, timeout=30) as c:
            while not self._stop.is_set():
                i += 1
                try:
                    if i % 3 == 0:
                        r = c.post("/api/v1/workers", json={
                            "full_name": f"Crash Test {t}-{i}", "date_of_birth": "1994-05-06",
                            "gender": "male", "consent": True,
                            "self_description": f"mason tiles crashtoken{t}x{i}"})
                    else:
                        wid = 1 + (t * 7919 + i * 104729) % self.existing
                        r = c.patch(f"/api/v1/workers/{wid}", json={
                            "self_description": f"welder pipes crashtoken{t}x{i}",
                            "full_name": f"Patched {t}-{i}"})
                except httpx.HTTPError:
                    if self._stop.is_set():
                        return
                    time.sleep(0.05)  # the server is gone (killed) or restarting
                    continue
                if 200 <= r.status_code < 300:
                    body = r.json()
                    with self._lock:
                        wid, version = int(body["id"]), int(body["version"])
                        self.acked[wid] = max(self.acked.get(wid, 0), version)
                        self.n_acked += 1
                elif r.status_code >= 500:
                    self.errors.append(f"{r.status_code} {r.text[:200]}")

    def wait_for(self, n: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.n_acked < n and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.n_acked >= n, f"only {self.n_acked} writes acknowledged ({self.errors[:3]})"


def registry_versions(db: Path) -> dict[int, int]:
    con = sqlite3.connect(db)
    try:
        return dict(con.execute("select id, version from workers").fetchall())
    finally:
        con.close()


def index_versions(var_dir: Path) -> dict[int, int]:
    """What the embedded index holds, read from disk as another process sees it."""
    from indexer.documents import WORKERS, worker_schema
    from indexer.embedded import EmbeddedBackend
    from matcher.encoder import get_encoder

    b = EmbeddedBackend(var_dir / "index")
    b.ensure_index(worker_schema(get_encoder("hashing").dim))
    try:
        return b.versions(WORKERS)
    finally:
        b.close()


def _check(acked: dict[int, int], found: dict[int, int]) -> list[int]:
    return sorted(i for i, v in acked.items() if found.get(i, 0) < v)


@contextmanager
def _stopped(server: Server):  # type: ignore[no-untyped-def]
    try:
        yield server
    finally:
        server.stop()


def test_kill_9_of_the_server_loses_no_acknowledged_write(tmp_path):
    var = tmp_path / "var"
    env = _env(var)
    shetu(env, "migrate")
    shetu(env, "seed", "--workers", str(SEED_WORKERS), "--job-orders", "30", "--agencies", "6")
    server = Server(env, tmp_path / "server.log")
    with _stopped(server):
        server.start()
        token = admin_token(server.url)
        with Writers(server.url, token, SEED_WORKERS) as writers:
            writers.wait_for(ACKS_BEFORE_KILL)
            time.sleep(0.3)
            server.kill9()  # mid-stream: the writers are still sending
            killed_at = writers.n_acked
        acked = dict(writers.acked)
        assert not writers.errors, writers.errors[:5]
        server.start()  # the same command, nothing else: no manual step
        reg = registry_versions(var / "shetu.db")
        verify = shetu(env, "index", "verify", check=False)
        idx = index_versions(var)
        token = admin_token(server.url)
        # Searchable through the running server too: the last acknowledged version answers.
        r = httpx.get(f"{server.url}/api/v1/workers/{max(acked)}",
                      headers={"Authorization": f"Bearer {token}"}, timeout=30)
    missing_registry = _check(acked, reg)
    missing_index = _check(acked, idx)
    print(f"\ncrash test (embedded, kill -9 of the server): {killed_at} writes acknowledged on "
          f"{len(acked)} workers; after the restart {len(acked) - len(missing_registry)} found in "
          f"the registry and {len(acked) - len(missing_index)} in the index at >= the "
          f"acknowledged version; `shetu index verify`: {verify.stdout.strip()!r}")
    assert not missing_registry
    assert not missing_index, {i: (acked[i], idx.get(i)) for i in missing_index}
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert r.status_code == 200 and r.json()["version"] >= acked[max(acked)]


# -- the services stack: PostgreSQL + Elasticsearch + Redis, Celery freshness ----------------------

def _pg_versions(url: str) -> dict[int, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return dict(c.execute(text("select id, version from workers")).all())
    finally:
        engine.dispose()


def _pg_pending(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return int(c.execute(text("select count(*) from outbox "
                                      "where processed_at is null")).scalar() or 0)
    finally:
        engine.dispose()


class Celery:
    """``shetu worker`` / ``shetu beat`` subprocesses, each in its own process group."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.procs = env, logs, {}

    def start(self, role: str) -> None:
        args = ["worker", "--pool", "solo"] if role == "worker" else ["beat"]
        log = self.logs / f"{role}-{time.monotonic_ns()}.log"
        with open(log, "wb") as out:
            p = subprocess.Popen([sys.executable, "-m", "api.cli", *args, "--loglevel", "info"],
                                 cwd=REPO_ROOT, env=self.env, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[role] = p
        ready = "ready." if role == "worker" else "beat: Starting"
        wait_until(lambda: ready in log.read_text(errors="replace") or p.poll() is not None,
                   90, f"celery {role} to start")
        assert p.poll() is None, log.read_text()

    def kill9(self, role: str) -> None:
        p = self.procs.pop(role)
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)  # its own group: the worker and its children
        p.wait(30)

    def kill_all(self) -> None:
        for role in list(self.procs):
            self.kill9(role)


@pytest.mark.integration
def test_services_stack_celery_worker_redis_es_and_server_faults_lose_nothing(tmp_path):
    """Celery worker kill -9, Redis and Elasticsearch stopped and started, server kill -9."""
    from indexer.documents import WORKERS
    from indexer.elasticsearch import ElasticsearchBackend

    if not (ES_URL and BROKER_URL and POSTGRES_URL):
        pytest.skip("needs the services stack: bash scripts/services.sh up; "
                    "eval \"$(bash scripts/services.sh env)\"")
    if not (port_open(ES_URL) and port_open(BROKER_URL)):
        pytest.skip("Elasticsearch or Redis is not running")
    prefix = f"shetu-crash-{uuid.uuid4().hex[:8]}"
    with throwaway_database() as db_url:
        env = _env(tmp_path / "var", SHETU_DATABASE_URL=db_url,
                   SHETU_SEARCH_BACKEND="elasticsearch", SHETU_ELASTICSEARCH_URL=ES_URL,
                   SHETU_ELASTICSEARCH_TIMEOUT_S="5", SHETU_INDEX_PREFIX=prefix,
                   SHETU_BROKER_URL=BROKER_URL.rsplit("/", 1)[0] + "/12",
                   SHETU_FRESHNESS="celery")
        url = sqlalchemy_url(db_url)
        es = ElasticsearchBackend(ES_URL, prefix=prefix)
        shetu(env, "migrate")
        shetu(env, "seed", "--workers", str(SEED_WORKERS), "--job-orders", "30",
              "--agencies", "6")
        celery = Celery(env, tmp_path)
        server = Server(env, tmp_path / "server.log")
        figures: dict[str, int] = {}
        try:
            celery.start("worker")
            celery.start("beat")
            server.start()
            token = admin_token(server.url)
            with Writers(server.url, token, SEED_WORKERS) as writers:
                writers.wait_for(20)
                celery.kill9("worker")  # mid-drain
                writers.wait_for(writers.n_acked + 15)
                celery.start("worker")
                services("down", "redis")
                try:
                    writers.wait_for(writers.n_acked + 10)  # writes go on without a broker
                finally:
                    services("up", "redis")
                services("down", "es")
                try:
                    writers.wait_for(writers.n_acked + 10)  # and without search
                finally:
                    services("up", "es")
                writers.wait_for(writers.n_acked + 10)
                server.kill9()
                figures["acknowledged"] = writers.n_acked
            acked = dict(writers.acked)
            server.start()  # no manual step: beat's drain and the restarted worker catch up
            wait_until(lambda: _pg_pending(url) == 0, 240, "the outbox to drain")
            reg = _pg_versions(url)
            wait_until(lambda: not _check(acked, es.versions(WORKERS)), 60,
                       "every acknowledged write in Elasticsearch")
            idx = es.versions(WORKERS)
            verify = shetu(env, "index", "verify", check=False)
        finally:
            server.stop()
            celery.kill_all()
            if not port_open(BROKER_URL):
                services("up", "redis")
            if not port_open(ES_URL):
                services("up", "es")
            for index in ("workers", "jobs"):
                try:
                    es.drop_index(index)
                except Exception:  # noqa: BLE001, S110 — best-effort cleanup
                    pass
            es.close()
    print(f"\ncrash test (services stack): {figures['acknowledged']} writes acknowledged on "
          f"{len(acked)} workers; found after the faults: "
          f"{len(acked) - len(_check(acked, reg))} in PostgreSQL, "
          f"{len(acked) - len(_check(acked, idx))} in Elasticsearch at >= the acknowledged "
          f"version; verify: {verify.stdout.strip()!r}")
    assert not writers.errors, writers.errors[:5]
    assert not _check(acked, reg)
    assert not _check(acked, idx)
    assert verify.returncode == 0, verify.stdout + verify.stderr
