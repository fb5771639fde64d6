"""Benchmark `import`: ``shetu import workers FILE.csv`` (registry.intake) on the embedded
default (SQLite + embedded index), N rows with 1% bad.

    python -m bench.import --n 100000

Measured: validating every row and writing the good ones with their outbox rows in one
transaction (what ``shetu import`` does before indexing), then draining the outbox into the
embedded index (timed apart). Baseline, same process and data: one-by-one,
``registry.service.create`` + commit per row (the way the API writes), on the first
``--baseline`` rows, its rate extrapolated to N. Generating the CSV is not counted.
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
import time

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


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--baseline", type=int, default=1_000)
    p.add_argument("--index", action="store_true", help="also time draining into the index")
    a = p.parse_args()

    from indexer.service import Indexer
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
    t0 = time.perf_counter()
    with session_scope(s.database_url) as session:
        result = import_csv(session, "workers", text, username="bench")
    bulk_s = time.perf_counter() - t0
    assert result.bad == bad and result.created == a.n - bad, result
    t0 = time.perf_counter()
    with session_scope(s.database_url) as session:
        again = import_csv(session, "workers", text, username="bench")
    rerun_s = time.perf_counter() - t0
    assert again.created == 0 and again.unchanged == a.n - bad
    index_s = None
    if a.index:
        ix = Indexer(s)
        t0 = time.perf_counter()
        while ix.drain_outbox(limit=2000, max_batches=1):
            pass
        index_s = time.perf_counter() - t0
        ix.backend.close()

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
        "n": a.n, "bad": bad, "bulk_s": round(bulk_s, 2),
        "bulk_rows_per_s": round(a.n / bulk_s), "rerun_s": round(rerun_s, 2),
        "index_s": None if index_s is None else round(index_s, 2),
        "baseline_rows": len(rows), "baseline_rows_per_s": round(base_rate),
        "baseline_extrapolated_s": round(a.n / base_rate, 1),
        "speedup": round((a.n / base_rate) / bulk_s, 1)})


if __name__ == "__main__":
    main()
