"""Benchmark `api`: GET /api/v1/job-orders/{id}/candidates under concurrent load, 100k workers.

    python -m bench.api [--n 100000] [--concurrency 8] [--seconds 30]

Uses (or builds) the registry + index of ``bench.ingest`` for N workers, adds agencies, employers
and job orders as the demo seed does (dated today, so they are matchable), serves the real app
with uvicorn (one process) on 127.0.0.1, and drives it from a *separate process*: a keep-alive
HTTP/1.1 load generator (Python threads on http.client) cycling over the verified job orders as
the admin user. Reports req/s, p50/p95/p99 and errors. Baseline in the same run: the same
requests one at a time (concurrency 1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench import common

ROOT = Path(__file__).resolve().parent.parent


def _prepare(n: int) -> tuple[Path, list[int]]:
    """Return the bench var folder (registry + index of n workers and job orders) and job ids."""
    from sqlalchemy import select

    from bench import ingest
    from indexer.service import Indexer
    from registry.compliance import job_is_matchable
    from registry.db import get_sessionmaker
    from registry.models import JobOrder
    from registry.seed import create_demo_users
    from training.synthetic import generate

    workdir = common.BENCH_DIR / f"ingest-{n}"
    if not (workdir / "DONE").exists():
        common.emit("ingest", ingest.run_bulk(n))
    s = common.settings(workdir)
    sessions = get_sessionmaker(s.database_url)
    today = dt.date.today()
    with sessions() as session:
        if session.scalar(select(JobOrder.id).limit(1)) is None:
            tax = common.taxonomy(s)
            data = generate(tax, s.data_dir, seed=7, workers=1, job_orders=120, today=today)
            from registry.models import Agency, Employer, OutboxEvent

            for model, rows in ((Agency, data.agencies), (Employer, data.employers)):
                session.add_all(model(**r) for r in rows)
                session.flush()
            jobs = [JobOrder(**r) for r in data.job_orders]
            session.add_all(jobs)
            session.flush()
            session.add_all(OutboxEvent(entity="job_order", entity_id=j.id, version=j.version or 1,
                                        op="upsert") for j in jobs)
            create_demo_users(session, today)
            session.commit()
            ix = Indexer(s)
            ix.backend.drop_index("jobs")  # bench.match may have put its own job orders there
            ix.drain_outbox()  # encodes the job orders with MiniLM
            ix.backend.close()
        ids = [j.id for j in session.scalars(select(JobOrder).order_by(JobOrder.id))
               if job_is_matchable(j, today)]
    return workdir, ids


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _load(port: int, token: str, ids: list[int], concurrency: int, seconds: float,
          out: Any) -> None:
    """Run in a separate process: hammer the endpoint; put latencies (ms) and errors in out."""
    import http.client

    lat: list[float] = []
    errors = [0]
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def worker(w: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        i = w
        mine, bad = [], 0
        while time.perf_counter() < stop:
            jid = ids[i % len(ids)]
            i += concurrency
            t0 = time.perf_counter()
            try:
                conn.request("GET", f"/api/v1/job-orders/{jid}/candidates?limit=20",
                             headers={"Authorization": f"Bearer {token}"})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            mine.append((time.perf_counter() - t0) * 1e3)
            bad += not ok
        with lock:
            lat.extend(mine)
            errors[0] += bad

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put({"latencies": lat, "errors": errors[0], "elapsed": time.perf_counter() - t0})


def _drive(port: int, token: str, ids: list[int], concurrency: int,
           seconds: float) -> dict[str, Any]:
    q: Any = mp.get_context("spawn").Queue()
    p = mp.get_context("spawn").Process(target=_load, args=(port, token, ids, concurrency,
                                                           seconds, q))
    p.start()
    res = q.get()
    p.join()
    lat = res["latencies"]
    return {"concurrency": concurrency, "requests": len(lat), "errors": res["errors"],
            "req_per_s": len(lat) / res["elapsed"], "latency_ms": common.percentiles(lat)}


def run(n: int = 100_000, concurrency: int = 8, seconds: float = 30.0) -> dict[str, Any]:
    import httpx

    workdir, ids = _prepare(n)
    port = _free_port()
    env = dict(os.environ, SHETU_VAR_DIR=str(workdir), SHETU_ENV="dev", PYTHONPATH=str(ROOT))
    code = ("import uvicorn; from api.app import create_app; "
            f"uvicorn.run(create_app(), host='127.0.0.1', port={port}, log_level='warning')")
    server = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT)
    try:
        deadline = time.time() + 600
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or server.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(1)
        token = httpx.post(f"http://127.0.0.1:{port}/api/v1/auth/token",
                           data={"username": "admin", "password": "shetu-demo"}).json()[
                               "access_token"]
        _drive(port, token, ids, 2, 5)  # warm up
        single = _drive(port, token, ids, 1, seconds / 2)
        loaded = _drive(port, token, ids, concurrency, seconds)
    finally:
        server.terminate()
        server.wait(30)
    return {"n": n, "job_orders": len(ids), "baseline_sequential": single, "concurrent": loaded,
            "throughput_ratio": loaded["req_per_s"] / single["req_per_s"]}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=30.0)
    args = ap.parse_args(argv)
    common.emit("api", run(args.n, args.concurrency, args.seconds))


if __name__ == "__main__":
    main()
