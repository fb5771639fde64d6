"""Freshness: how long from a write through the API until it is visible in search.

Two configurations:

- ``embedded``: SQLite + embedded backend, outbox drained in-process after the commit
  (goal p95 ≤ 0.5 s);
- ``celery``: PostgreSQL (or SQLite when ``SHETU_DATABASE_URL`` is unset) + Elasticsearch, a
  ``shetu worker`` subprocess draining the outbox from Redis (goal p95 ≤ 2 s).

Each write creates a worker whose self-description holds a unique token; the clock stops when a
keyword search for that token returns the worker. Run::

    eval "$(bash scripts/services.sh env)"
    .venv/bin/python bench/freshness.py [--writes 50] [--modes embedded,celery] [--model hashing]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import AbstractContextManager as ContextManager
from contextlib import ExitStack
from pathlib import Path
from typing import Any, cast

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from indexer.documents import JOBS, WORKERS  # noqa: E402
from registry.config import Settings  # noqa: E402
from registry.db import throwaway_database as registry_throwaway_database  # noqa: E402

GOALS_P95_S = {"embedded": 0.5, "celery": 2.0}
TIMEOUT_S = 30.0
PG_URL = os.environ.get("SHETU_DATABASE_URL", "")


def _settings(var: Path, model: str, **kw) -> Settings:
    data_dir = Path(os.environ.get("SHETU_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))
    kw.setdefault("database_url", f"sqlite:///{var / 'shetu.db'}")  # never the shared database
    return Settings(env="test", var_dir=var, data_dir=data_dir, model=model, **kw)


def _seed(settings: Settings) -> None:
    """Migrate, load a small synthetic data set with the demo accounts, and index it."""
    import datetime as dt

    from indexer.service import Indexer
    from matcher.taxonomy import load_taxonomy
    from registry.db import session_scope
    from registry.migrate import upgrade
    from registry.seed import create_demo_users, insert_dataset
    from training.synthetic import generate

    tax = load_taxonomy(settings.esco_dir, REPO_ROOT / "var" / "cache")
    upgrade(settings.database_url)
    data = generate(tax, settings.data_dir, seed=3, workers=300, job_orders=30, agencies=6,
                    employers=12, today=dt.date.today())
    with session_scope(settings.database_url) as s:
        insert_dataset(s, data)
        create_demo_users(s)
    ix = Indexer(settings, taxonomy=tax)
    ix.drain_outbox()
    ix.backend.close()


def throwaway_database(base: str) -> ContextManager[str]:
    """Create ``shetu_bench_<uuid>`` beside ``base``, yield its URL, drop it afterwards."""
    return registry_throwaway_database(base, prefix="shetu_bench")


def _measure(client: TestClient, visible, writes: int) -> list[float]:
    """Write ``writes`` workers one after another; return each one's seconds to visibility."""
    out = []
    for i in range(writes + 1):
        token = f"fresh{uuid.uuid4().hex[:10]}"
        body = {"full_name": f"Bench {i}", "date_of_birth": "1995-05-05", "gender": "male",
                "languages": ["Bangla"], "consent": True,
                "self_description": f"mason and tile setter {token}"}
        t0 = time.perf_counter()
        r = client.post("/api/v1/workers", json=body)
        assert r.status_code == 201, r.text
        wid = r.json()["id"]
        while not visible(token, wid):
            if time.perf_counter() - t0 > TIMEOUT_S:
                raise TimeoutError(f"write {i} not visible after {TIMEOUT_S}s")
            time.sleep(0.005)
        if i:  # the first write warms caches up; not counted
            out.append(time.perf_counter() - t0)
    return out


def _client(stack: ExitStack, settings: Settings) -> TestClient:
    client = stack.enter_context(TestClient(create_app(settings)))
    r = client.post("/api/v1/auth/token", data={"username": "admin", "password": "shetu-demo"})
    client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    return client


def run_embedded(writes: int, model: str) -> list[float]:
    """Embedded backend, in-process drain."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        settings = _settings(Path(tmp), model, search_backend="embedded", freshness="inprocess")
        _seed(settings)
        client = _client(stack, settings)
        backend = cast(Any, client.app).state.indexer.backend

        def visible(token: str, wid: int) -> bool:
            return any(h.id == wid for h in backend.search(WORKERS, text=token, vector=None))

        return _measure(client, visible, writes)


def run_celery(writes: int, model: str) -> list[float]:
    """PostgreSQL (if configured) + Elasticsearch + a Celery worker subprocess on Redis."""
    from indexer.celery_app import configure
    from indexer.elasticsearch import ElasticsearchBackend

    es_url, broker = os.environ.get("SHETU_ELASTICSEARCH_URL"), os.environ.get("SHETU_BROKER_URL")
    if not es_url or not broker:
        raise SystemExit("celery mode needs SHETU_ELASTICSEARCH_URL and SHETU_BROKER_URL "
                         "(eval \"$(bash scripts/services.sh env)\")")
    broker = broker.rsplit("/", 1)[0] + "/12"  # a Redis database of its own
    prefix = f"shetu-bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        var = Path(tmp)
        db_url = ""
        if PG_URL:
            db_url = stack.enter_context(throwaway_database(PG_URL))
        settings = _settings(var, model, search_backend="elasticsearch", elasticsearch_url=es_url,
                             index_prefix=prefix, broker_url=broker, freshness="celery",
                             **({"database_url": db_url} if db_url else {}))
        reader = ElasticsearchBackend(es_url, prefix=prefix)
        stack.callback(reader.drop_index, WORKERS)
        stack.callback(reader.drop_index, JOBS)
        _seed(settings)
        configure(settings)
        env = {**os.environ, "SHETU_ENV": "test", "SHETU_VAR_DIR": str(var),
               "SHETU_DATA_DIR": str(settings.data_dir), "SHETU_MODEL": model,
               "SHETU_DATABASE_URL": settings.database_url,
               "SHETU_SEARCH_BACKEND": "elasticsearch", "SHETU_ELASTICSEARCH_URL": es_url,
               "SHETU_INDEX_PREFIX": prefix, "SHETU_BROKER_URL": broker}
        log = var / "worker.log"
        worker = subprocess.Popen([sys.executable, "-m", "api.cli", "worker", "--pool", "solo"],
                                  cwd=REPO_ROOT, env=env, stdout=open(log, "wb"),  # noqa: SIM115
                                  stderr=subprocess.STDOUT, start_new_session=True)
        stack.callback(worker.wait, 30)  # callbacks run last first: signal, then wait
        stack.callback(os.killpg, worker.pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while "ready." not in log.read_text(errors="replace"):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("worker did not start:\n" + log.read_text())
            time.sleep(0.2)
        client = _client(stack, settings)

        def visible(token: str, wid: int) -> bool:
            return any(h.id == wid for h in reader.search(WORKERS, text=token, vector=None))

        return _measure(client, visible, writes)


def summary(mode: str, lat: list[float]) -> dict:
    """Return p50/p95/max in seconds and whether the p95 goal is met."""
    a = np.asarray(lat)
    p95 = float(np.percentile(a, 95))
    return {"mode": mode, "writes": len(a), "p50_s": round(float(np.percentile(a, 50)), 3),
            "p95_s": round(p95, 3), "max_s": round(float(a.max()), 3),
            "goal_p95_s": GOALS_P95_S[mode], "meets_goal": p95 <= GOALS_P95_S[mode]}


def main() -> None:
    """Run the benchmark and print one JSON line per mode."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--writes", type=int, default=50)
    ap.add_argument("--modes", default="embedded,celery")
    ap.add_argument("--model", default="hashing", help="encoder (hashing, or the packaged one)")
    args = ap.parse_args()
    runners = {"embedded": run_embedded, "celery": run_celery}
    results = []
    for mode in args.modes.split(","):
        res = summary(mode, runners[mode](args.writes, args.model))
        results.append(res)
        print(json.dumps(res), flush=True)
    if not all(r["meets_goal"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
