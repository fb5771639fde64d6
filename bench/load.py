"""Load test: N clients for T seconds on the three busiest pages, against a server it starts.

    python -m bench.load [--clients 50] [--seconds 60] [--model hashing|packaged]
                         [--workers 2000 --job-orders 320 --agencies 45]

Seeds a fresh registry in a temporary var dir, starts ``shetu serve`` (SHETU_ENV=test) on a free
port of 127.0.0.1, signs in once as the demo officer and worker, then runs ``clients`` threads,
each with its own keep-alive connection, for ``seconds``; each client cycles over

- officer candidates: ``GET /api/v1/job-orders/{id}/candidates`` (the officer's matchable orders),
- worker eligible jobs: ``GET /api/v1/me/eligible-jobs``,
- the worker page: ``GET /worker`` (the session cookie carries the same token),

while one more thread samples ``GET /health`` twice a second: an operator's probe must keep
answering under load. Reports requests, errors by status, p50/p95/p99 per endpoint and the
/health latency; stops the server by its PID. Only 127.0.0.1 is ever contacted, and clients and
duration are bounded (``MAX_CLIENTS``, ``MAX_SECONDS``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"  # never anything else: this generator must not be pointed at others' hosts
MAX_CLIENTS = 500
MAX_SECONDS = 3600
REQUEST_TIMEOUT_S = 60.0  # longer than the 30 s pool timeout, so a pool stall shows as a 500
HEALTH_INTERVAL_S = 0.5
ENDPOINTS = ("candidates", "eligible_jobs", "worker_page")
MODELS = {"hashing": "hashing", "packaged": "packaged:all-MiniLM-L6-v2"}
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Samples:
    """Latencies (ms) and outcomes of one endpoint."""

    ms: list[float] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)

    def add(self, ms: float, outcome: str) -> None:
        """Record one request (list.append and Counter updates are safe across threads)."""
        self.ms.append(ms)
        self.outcomes[outcome] += 1

    def summary(self, seconds: float) -> dict[str, Any]:
        """Requests, errors by status, throughput and latency percentiles."""
        errors = {k: v for k, v in self.outcomes.items() if k != "200"}
        out: dict[str, Any] = {"requests": len(self.ms), "errors": sum(errors.values()),
                               "errors_by_status": errors,
                               "req_per_s": round(len(self.ms) / seconds, 1) if seconds else 0}
        if self.ms:
            ordered = sorted(self.ms)
            for p in (50, 95, 99):
                out[f"p{p}_ms"] = round(ordered[min(len(ordered) - 1,
                                                    int(len(ordered) * p / 100))], 1)
            out["max_ms"] = round(ordered[-1], 1)
        return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _env(var_dir: Path, model: str, concurrency: int | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHETU_")}
    if concurrency is not None:  # api.admission's limit (0 = none); unset = the app's default
        env["SHETU_REQUEST_CONCURRENCY"] = str(concurrency)
    env.update({"SHETU_VAR_DIR": str(var_dir), "SHETU_ENV": "test", "SHETU_MODEL": MODELS[model],
                "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                "TOKENIZERS_PARALLELISM": "false"})
    if os.environ.get("SHETU_DATA_DIR"):
        env["SHETU_DATA_DIR"] = os.environ["SHETU_DATA_DIR"]
    return env


def _shetu() -> str:
    exe = Path(sys.executable).parent / "shetu"
    return str(exe) if exe.exists() else "shetu"


def seed(var_dir: Path, model: str, workers: int, job_orders: int, agencies: int) -> None:
    """Seed and index a fresh registry under ``var_dir``."""
    r = subprocess.run([_shetu(), "seed", "--seed", "7", "--workers", str(workers),
                        "--job-orders", str(job_orders), "--agencies", str(agencies)],
                       env=_env(var_dir, model), capture_output=True, text=True, timeout=3600,
                       check=False)
    if r.returncode != 0:
        raise RuntimeError(f"shetu seed failed:\n{r.stdout}\n{r.stderr[-3000:]}")


@contextmanager
def server(var_dir: Path, model: str, log: Path, concurrency: int | None = None
           ) -> Iterator[str]:
    """Run ``shetu serve`` on a free port; yield its base URL; stop it by PID."""
    port = _free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen([_shetu(), "serve", "--host", HOST, "--port", str(port)],
                                env=_env(var_dir, model, concurrency), stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"shetu serve exited with {proc.returncode}:\n"
                                   + log.read_text(errors="replace")[-3000:])
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("shetu serve did not answer /health within 600 s")
            time.sleep(0.3)
        yield base
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10)


def _sign_in(base: str, username: str) -> str:
    r = httpx.post(f"{base}/api/v1/auth/token", timeout=60,
                   data={"username": username, "password": "shetu-demo"})
    r.raise_for_status()
    return r.json()["access_token"]


def _officer_jobs(base: str, token: str) -> list[int]:
    """The officer's job orders that answer candidates (matchable ones)."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=REQUEST_TIMEOUT_S) as c:
        r = c.get("/api/v1/job-orders", params={"status": "verified", "limit": 500})
        r.raise_for_status()
        ids = [j["id"] for j in r.json()["items"]]
        usable = [i for i in ids if c.get(f"/api/v1/job-orders/{i}/candidates").status_code == 200]
    if not usable:
        raise RuntimeError("the demo officer has no matchable job order to rank candidates for")
    return usable


def drive(base: str, clients: int, seconds: float) -> dict[str, Any]:
    """Run the load against a running server; return the figures."""
    if not base.startswith(f"http://{HOST}:"):
        raise ValueError(f"the load generator only targets {HOST}")
    clients = max(1, min(clients, MAX_CLIENTS))
    seconds = max(1.0, min(seconds, MAX_SECONDS))
    officer, worker = _sign_in(base, "officer"), _sign_in(base, "worker")
    jobs = _officer_jobs(base, officer)
    samples = {name: Samples() for name in ENDPOINTS}
    health = Samples()
    stop = threading.Event()
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    def client(i: int) -> None:
        job_cycle = itertools.cycle(jobs[i % len(jobs):] + jobs[:i % len(jobs)])
        with httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT_S, limits=limits) as c:
            for n in itertools.count(i):
                if stop.is_set():
                    return
                name = ENDPOINTS[n % len(ENDPOINTS)]
                if name == "candidates":
                    req = c.build_request("GET", f"/api/v1/job-orders/{next(job_cycle)}/candidates",
                                          headers={"Authorization": f"Bearer {officer}"})
                elif name == "eligible_jobs":
                    req = c.build_request("GET", "/api/v1/me/eligible-jobs",
                                          headers={"Authorization": f"Bearer {worker}"})
                else:
                    req = c.build_request("GET", "/worker",
                                          headers={"Cookie": f"shetu_token={worker}"})
                t0 = time.perf_counter()
                try:
                    outcome = str(c.send(req).status_code)
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                samples[name].add((time.perf_counter() - t0) * 1000, outcome)

    def probe() -> None:
        with httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT_S) as c:
            while not stop.is_set():
                t0 = time.perf_counter()
                try:
                    outcome = str(c.get("/health").status_code)
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                health.add((time.perf_counter() - t0) * 1000, outcome)
                stop.wait(HEALTH_INTERVAL_S)

    load_before = os.getloadavg()[0]
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    threads.append(threading.Thread(target=probe, daemon=True))
    started = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:  # requests in flight finish (each is bounded by REQUEST_TIMEOUT_S)
        t.join(REQUEST_TIMEOUT_S + 5)
    elapsed = time.perf_counter() - started
    per = {name: s.summary(elapsed) for name, s in samples.items()}
    return {"clients": clients, "seconds": round(elapsed, 1),
            "requests": sum(p["requests"] for p in per.values()),
            "errors": sum(p["errors"] for p in per.values()),
            "endpoints": per, "health": health.summary(elapsed),
            "job_orders": len(jobs), "date": dt.date.today().isoformat(),
            "load_average_before": round(load_before, 2),
            "load_average_after": round(os.getloadavg()[0], 2)}


def run(clients: int = 50, seconds: float = 60, model: str = "hashing", workers: int = 2000,
        job_orders: int = 320, agencies: int = 45, var_dir: Path | None = None,
        concurrency: tuple[int | None, ...] = (None,)) -> dict[str, Any]:
    """Seed a temporary registry, serve it, drive the load, stop the server; return figures.

    With several ``concurrency`` values the same registry is served and loaded once per value
    (the first is the baseline) and the result carries each run under ``runs``."""
    with tempfile.TemporaryDirectory(prefix="shetu-load-") as tmp:
        var = Path(var_dir or tmp)
        t0 = time.perf_counter()
        seed(var, model, workers, job_orders, agencies)
        seeded_s = time.perf_counter() - t0
        runs = []
        for limit in concurrency:
            with server(var, model, Path(tmp) / "serve.log", limit) as base:
                one = drive(base, clients, seconds)
            one["concurrency"] = "default" if limit is None else limit
            runs.append(one)
    result = dict(runs[-1])
    result.update({"model": model, "workers": workers, "job_orders_seeded": job_orders,
                   "seed_s": round(seeded_s, 1)})
    if len(runs) > 1:
        result["runs"] = runs
    return result


def compare(result: dict[str, Any]) -> str:
    """Each run's p50/p95 against the first run's (same registry, same process, back to back)."""
    base, lines = result["runs"][0], []
    for run_ in result["runs"][1:]:
        lines.append(f"concurrency {run_['concurrency']} vs {base['concurrency']} "
                     "(ratio < 1 = faster):")
        for name in (*ENDPOINTS, "health"):
            a = base["health"] if name == "health" else base["endpoints"][name]
            b = run_["health"] if name == "health" else run_["endpoints"][name]
            lines.append(f"  {name:<15} p50 {b.get('p50_ms', 0):>7} / {a.get('p50_ms', 0):<7}"
                         f"= {b.get('p50_ms', 0) / max(a.get('p50_ms', 1), 1e-9):.2f}   "
                         f"p95 {b.get('p95_ms', 0):>7} / {a.get('p95_ms', 0):<7}"
                         f"= {b.get('p95_ms', 0) / max(a.get('p95_ms', 1), 1e-9):.2f}")
        lines.append(f"  throughput {run_['requests']} / {base['requests']} requests "
                     f"= {run_['requests'] / max(base['requests'], 1):.2f}")
    return "\n".join(lines)


def report(result: dict[str, Any]) -> str:
    """The figures as a small table."""
    lines = [f"{result['clients']} clients, {result['seconds']} s, {result['requests']} requests, "
             f"{result['errors']} errors (model {result.get('model')}, "
             f"load average {result['load_average_before']} → {result['load_average_after']})",
             f"{'endpoint':<15}{'requests':>9}{'errors':>8}{'req/s':>7}{'p50 ms':>9}"
             f"{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"]
    rows = {**result["endpoints"], "/health": result["health"]}
    for name, p in rows.items():
        lines.append(f"{name:<15}{p['requests']:>9}{p['errors']:>8}{p['req_per_s']:>7}"
                     f"{p.get('p50_ms', 0):>9}{p.get('p95_ms', 0):>9}{p.get('p99_ms', 0):>9}"
                     f"{p.get('max_ms', 0):>9}"
                     + (f"  {p['errors_by_status']}" if p["errors"] else ""))
    return "\n".join(lines)


def main() -> None:
    """Command line: ``python -m bench.load``."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--model", choices=sorted(MODELS), default="hashing",
                    help="hashing (fast, no weights) or the packaged MiniLM model")
    ap.add_argument("--workers", type=int, default=2000)
    ap.add_argument("--job-orders", type=int, default=320)
    ap.add_argument("--agencies", type=int, default=45)
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    ap.add_argument("--compare-admission", action="store_true",
                    help="serve twice: no admission limit (baseline), then the app's default")
    a = ap.parse_args()
    limits: tuple[int | None, ...] = (0, None) if a.compare_admission else (None,)
    result = run(a.clients, a.seconds, a.model, a.workers, a.job_orders, a.agencies,
                 concurrency=limits)
    if a.json:
        print(json.dumps(result))
    else:
        for one in result.get("runs", [result]):
            print(f"concurrency {one.get('concurrency', 'default')}: " + report(one))
        if "runs" in result:
            print(compare(result))
    from bench import common

    result.pop("date", None)
    common.emit("load", result)
    sys.exit(1 if result["errors"] or result["health"]["errors"] else 0)


if __name__ == "__main__":
    main()
