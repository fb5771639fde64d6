"""Benchmark `import`: ``shetu import workers FILE.csv`` (registry.intake) on the embedded
default (SQLite + embedded index + the default encoder), N rows with 1% bad.

    python -m bench.import --n 100000 --index

Measured: validating every row and writing the good ones with their outbox rows in one
transaction (what ``shetu import`` does before indexing), then, with ``--index``, draining the
outbox into the embedded index as ``shetu import`` does (``api.cli.records``: batches of
``DRAIN_BATCH``, each distinct text encoded once, snapshots at most once a minute), timed apart,
wall clock and this process's CPU seconds (the machine is shared: the load average is printed
with each figure). Baselines, same process and data: writing one-by-one,
``registry.service.create`` + commit per row (the way the API writes), on the first
``--baseline`` rows, its rate extrapolated to N; and indexing the previous way (batches of 64,
every text encoded, snapshots every 2 s) on the first ``--index-baseline`` rows, extrapolated.
Generating the CSV is not counted.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import time
from typing import Any

from bench import common

DISTRICTS = ("Dhaka", "Comilla", "Chittagong", "Sylhet", "Tangail", "Noakhali", "Khulna")
LANGS = ("Bangla", "Bangla;Arabic", "Bangla;English", "Bangla;Hindi")


def make_csv(n: int, bad_share: float = 0.01, seed: int = 5) -> tuple[str, int]:
    """Return a workers CSV of ``n`` rows (about ``bad_share`` bad) and how many are bad."""
    rng = random.Random(seed)
    out = io.StringIO()
    out.write("full_name,nid_number,date_of_birth,gender,district,languages,self_description\n")
    bad = 0
    for i in range(n):
        dob = f"{rng.randint(1975, 2003)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        if rng.random() < bad_share:
            dob = "2001-02-30"  # no such day
            bad += 1
        out.write(f"Worker {i},{7_000_000_000_000 + i},{dob},"
                  f"{rng.choice(('male', 'female'))},{rng.choice(DISTRICTS)},"
                  f"{rng.choice(LANGS)},\n")
    return out.getvalue(), bad


def _drain(ix, batch: int) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    """Drain the outbox in batches of ``batch``; return (wall s, CPU s, documents)."""
    ix.ensure_indexes()
    ix.encoder.encode(["warm up"])  # the model's load is not indexing
    t0, c0, n = time.perf_counter(), time.process_time(), 0
    while done := ix.drain_outbox(limit=batch, max_batches=1):
        n += done
    ix.backend.close()  # the last snapshot is part of the work
    return time.perf_counter() - t0, time.process_time() - c0, n


def _index_runs(s, text: str, base_n: int,  # type: ignore[no-untyped-def]
                model: str | None) -> dict[str, Any]:
    """Index the imported registry as ``shetu import`` does now, and the first ``base_n`` rows
    the previous way (batches of 64, every text encoded, default snapshots), extrapolated."""
    from api.cli.records import DRAIN_BATCH, bulk_drain
    from indexer.service import Indexer
    from registry.db import session_scope
    from registry.intake import import_csv
    from registry.migrate import upgrade

    kw = {"model": model} if model else {}
    load0 = os.getloadavg()[0]
    ix = Indexer(common.settings(s.var_dir, **kw))
    bulk_drain(ix)
    wall, cpu, docs = _drain(ix, DRAIN_BATCH)
    load1 = os.getloadavg()[0]
    b = common.settings(s.var_dir.parent / "index-baseline", **kw)
    upgrade(b.database_url)
    with session_scope(b.database_url) as session:
        import_csv(session, "workers", "\n".join(text.splitlines()[:base_n + 1]) + "\n",
                   username="bench")
    old = Indexer(b)
    old.unique_texts = False
    bwall, bcpu, bdocs = _drain(old, 64)
    load2 = os.getloadavg()[0]
    return {"model": ix.encoder.name, "index_docs": docs, "drain_batch": DRAIN_BATCH,
            "index_s": round(wall, 1), "index_cpu_s": round(cpu, 1),
            "index_load_avg": [round(load0, 1), round(load1, 1)],
            "index_baseline_docs": bdocs, "index_baseline_s": round(bwall, 1),
            "index_baseline_cpu_s": round(bcpu, 1),
            "index_baseline_extrapolated_s": round(bwall * docs / max(bdocs, 1), 1),
            "index_baseline_load_avg": round(load2, 1),
            "index_speedup_wall": round(bwall * docs / max(bdocs, 1) / wall, 1),
            "index_speedup_cpu": round(bcpu * docs / max(bdocs, 1) / max(cpu, 1e-9), 1)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--baseline", type=int, default=1_000)
    p.add_argument("--index", action="store_true", help="also time draining into the index")
    p.add_argument("--index-baseline", type=int, default=5_000,
                   help="rows indexed the previous way, for the ratio")
    p.add_argument("--model", default=None, help="encoder (default: the embedded default's)")
    a = p.parse_args()

    from registry import service
    from registry.db import session_scope
    from registry.intake import _row_model, import_csv
    from registry.migrate import upgrade
    from registry.models import Worker

    text, bad = make_csv(a.n)
    work = common.BENCH_DIR / "import"
    shutil.rmtree(work, ignore_errors=True)
    s = common.settings(work / "bulk", model="hashing")
    upgrade(s.database_url)
    load_bulk = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    with session_scope(s.database_url) as session:
        result = import_csv(session, "workers", text, username="bench")
    bulk_s, bulk_cpu = time.perf_counter() - t0, time.process_time() - c0
    assert result.bad == bad and result.created == a.n - bad, result
    t0 = time.perf_counter()
    with session_scope(s.database_url) as session:
        again = import_csv(session, "workers", text, username="bench")
    rerun_s = time.perf_counter() - t0
    assert again.created == 0 and again.unchanged == a.n - bad
    index: dict[str, Any] = {}
    if a.index:
        index = _index_runs(s, text, a.index_baseline, a.model)
    b = common.settings(work / "baseline", model="hashing")
    upgrade(b.database_url)
    lines = text.splitlines()
    header, rows = lines[0], lines[1:a.baseline + 1]
    import csv

    t0 = time.perf_counter()
    with session_scope(b.database_url) as session:
        for raw in csv.DictReader([header, *rows]):
            try:
                m = _row_model("workers", raw)
            except ValueError:
                continue
            service.create(session, Worker, m)
            session.commit()
    base_s = time.perf_counter() - t0
    base_rate = len(rows) / base_s
    common.emit("import", {
        "n": a.n, "bad": bad, "bulk_s": round(bulk_s, 2), "bulk_cpu_s": round(bulk_cpu, 1),
        "bulk_load_avg": round(load_bulk, 1),
        "bulk_rows_per_s": round(a.n / bulk_s), "rerun_s": round(rerun_s, 2),
        **index,
        "import_and_index_s": round(bulk_s + index["index_s"], 1) if index else None,
        "baseline_rows": len(rows), "baseline_rows_per_s": round(base_rate),
        "baseline_extrapolated_s": round(a.n / base_rate, 1),
        "speedup": round((a.n / base_rate) / bulk_s, 1)})


if __name__ == "__main__":
    main()
