"""Benchmark `ingest`: load N synthetic workers into the registry (SQLite) and the embedded index.

    python -m bench.ingest --n 10000 100000     # the standard rows
    python -m bench.ingest --n 1000000          # the 1M row

The bulk path (what this measures) is the outbox flow in batches: per batch, one transaction
inserts the worker records *and* their outbox rows (``registry.bulk.insert_many``: one DBAPI
executemany each, with SQLAlchemy's own type processing applied column by column);
after the commit the batch's documents are built with ``indexer.documents.worker_document``,
upserted into the index (tantivy + filter columns + vectors + IVF lists), and the outbox rows are
marked processed — exactly what ``Indexer.drain_outbox`` does, without reading the records back.

Worker vectors: structured profiles use ``matcher.profile_vectors`` (precomputed ESCO label
embeddings); free-text profiles need the encoder, measured separately (``free_text``).

Baseline, same data and machine: one-by-one — ``registry.service.create`` + commit + outbox drain
per worker, the way the API writes. Also reported: the quality cost of profile vectors against
encoding each profile's text with MiniLM (mean cosine, and top-10 agreement for job queries).
Generating the synthetic rows is timed apart and not counted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import queue
import shutil
import time
from pathlib import Path
from typing import Any, cast

import numpy as np
from sqlalchemy import Table, func, select, update

from bench import common

WORKER_COLUMNS = ("full_name", "phone", "nid_number", "date_of_birth", "gender", "district",
                  "religion", "passport_number", "passport_expiry", "medical_fit", "medical_date",
                  "ntvqf_level", "certificates", "languages", "experience", "skills",
                  "self_description", "bmet_registration", "consent")


BATCH = 20_000  # workers per transaction and index commit (50k measured no faster: 307 s at 1M)


def _fresh(workdir: Path) -> Any:
    from registry.db import get_engine
    from registry.models import Base

    shutil.rmtree(workdir, ignore_errors=True)
    s = common.settings(workdir)
    Base.metadata.create_all(get_engine(s.database_url))
    return s


def _dir_bytes(p: Path) -> int:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) if p.exists() else 0


def bulk_batch(session: Any, backend: Any, tax: Any, rows: list[dict[str, Any]],
               vectors: np.ndarray) -> int:
    """Write one batch: records + outbox in one transaction, then index, then mark processed."""
    from indexer.documents import WORKERS, worker_document
    from registry.bulk import insert_many
    from registry.models import OutboxEvent, Worker

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    recs = [{c: r[c] for c in WORKER_COLUMNS} | {"version": 1, "created_at": now,
                                                  "updated_at": now} for r in rows]
    # executemany in one transaction: the write lock is held from the first INSERT, and
    # AUTOINCREMENT hands out consecutive ids, so the batch's ids are the last len(rows) ones.
    # registry.bulk.insert_many: Core's type processing and defaults, column by column, then
    # one DBAPI executemany (Core's insert() built the parameters row by row).
    conn = session.connection()
    insert_many(conn, cast(Table, Worker.__table__), recs)
    last = session.scalar(select(func.max(Worker.id)))
    ids = list(range(last - len(rows) + 1, last + 1))
    insert_many(conn, cast(Table, OutboxEvent.__table__), [
        {"entity": "worker", "entity_id": i, "version": 1, "op": "upsert", "created_at": now,
         "attempts": 0} for i in ids])
    last_ev = session.scalar(select(func.max(OutboxEvent.id)))
    session.commit()
    docs = [worker_document(common.Row(r, id=i, version=1), tax, v)
            for r, i, v in zip(rows, ids, vectors, strict=True)]
    n = backend.upsert(WORKERS, docs)
    session.execute(update(OutboxEvent).where(OutboxEvent.id > last_ev - len(ids),
                                              OutboxEvent.id <= last_ev)
                    .values(processed_at=now))
    session.commit()
    return n


def run_bulk(n: int, batch: int = BATCH) -> dict[str, Any]:
    """Bulk-ingest n structured workers; return the figures."""
    from indexer.documents import worker_schema
    from indexer.embedded import EmbeddedBackend
    from matcher.encoder import get_encoder
    from matcher.profile_vectors import profile_vectors
    from registry.db import get_sessionmaker

    workdir = common.BENCH_DIR / f"ingest-{n}"
    s = _fresh(workdir)
    tax = common.taxonomy(s)
    space = common.label_space(tax, get_encoder(s.model))
    backend = EmbeddedBackend(s.index_dir)
    backend.ensure_index(worker_schema(space.vectors.shape[1]))
    sessions = get_sessionmaker(s.database_url)
    jobs = common.job_orders(tax, s, n=400)  # a third of workers follow demand, as in the seed
    t_gen = t_vec = t_write = 0.0
    done = 0
    with sessions() as session:
        gen = common.worker_batches(tax, s, n, batch=batch, jobs=jobs)
        while True:
            with common.Timer() as t:
                rows = next(gen, None)
            t_gen += t.s
            if rows is None:
                break
            with common.Timer() as t:
                vecs = profile_vectors([(r["experience"], r["skills"]) for r in rows], space)
            t_vec += t.s
            with common.Timer() as t:
                done += bulk_batch(session, backend, tax, rows, vecs)
            t_write += t.s
            if n >= 200_000 and done % 100_000 == 0:
                print(f"  ingested {done:,} ({t_vec + t_write:.0f}s, generate {t_gen:.0f}s)",
                      flush=True)
    with common.Timer() as t:
        backend.close()
    t_write += t.s
    (workdir / "DONE").write_text(str(done))  # bench.match may reuse this index
    total = t_vec + t_write
    db = Path(s.database_url.removeprefix("sqlite:///"))
    db_bytes = sum(_dir_bytes(p) if p.is_dir() else p.stat().st_size
                   for p in db.parent.glob(db.name + "*"))
    idx_bytes = _dir_bytes(s.index_dir)
    return {"n": done, "ingest_s": total, "workers_per_s": done / total,
            "vectors_s": t_vec, "write_s": t_write, "generate_s": t_gen,
            "peak_rss_mib": common.peak_rss_mib(),
            "registry_bytes_per_worker": db_bytes / done, "index_bytes_per_worker":
            idx_bytes / done, "disk_bytes_per_worker": (db_bytes + idx_bytes) / done}


class _ProfileIndexer:
    """An Indexer whose worker_docs use profile vectors (so the baseline differs only in I/O)."""

    @staticmethod
    def make(s: Any, backend: Any, tax: Any, space: Any, encoder: Any) -> Any:
        from indexer.documents import worker_document
        from indexer.service import Indexer
        from matcher.profile_vectors import profile_vectors

        class ProfileIndexer(Indexer):
            def worker_docs(self, workers):  # type: ignore[no-untyped-def]
                vecs = profile_vectors([(w.experience, w.skills) for w in workers], space)
                return [worker_document(w, tax, v) for w, v in zip(workers, vecs, strict=True)]

        return ProfileIndexer(s, backend=backend, encoder=encoder, taxonomy=tax)


def run_one_by_one(n: int = 300) -> dict[str, Any]:
    """Baseline: one transaction and one outbox drain per worker (the API's write path)."""
    from indexer.embedded import EmbeddedBackend
    from matcher.encoder import get_encoder
    from registry import service
    from registry.models import Worker

    s = _fresh(common.BENCH_DIR / "ingest-one-by-one")
    tax = common.taxonomy(s)
    enc = get_encoder(s.model)
    space = common.label_space(tax, enc)
    backend = EmbeddedBackend(s.index_dir)
    ix = _ProfileIndexer.make(s, backend, tax, space, enc)
    ix.ensure_indexes()
    rows = next(common.worker_batches(tax, s, n, batch=n, seed=12))
    t0 = time.perf_counter()
    for r in rows:
        with ix.sessions() as session:
            service.create(session, Worker, {c: r[c] for c in WORKER_COLUMNS})
            session.commit()
        ix.drain_outbox()
    el = time.perf_counter() - t0
    backend.close()
    return {"n": n, "workers_per_s": n / el}


def run_free_text(n: int = 128) -> dict[str, Any]:
    """Free text needs the encoder: Indexer.worker_docs (MiniLM, batch 64) on n profiles."""
    from indexer.service import Indexer
    from matcher.encoder import get_encoder

    s = common.settings(common.BENCH_DIR / "ingest-free-text")
    tax = common.taxonomy(s)
    enc = get_encoder(s.model)
    enc.encode(["warm up"])
    rows = next(common.worker_batches(tax, s, n, batch=n, seed=13, free_text_share=1.0))
    ix = Indexer(s, backend=object(), encoder=enc, taxonomy=tax)  # type: ignore[arg-type]
    workers = [common.Row(r, id=i + 1, version=1) for i, r in enumerate(rows)]
    t0 = time.perf_counter()
    ix.worker_docs(workers)
    return {"n": n, "workers_per_s": n / (time.perf_counter() - t0)}


def run_quality(n: int = 400, jobs_n: int = 30) -> dict[str, Any]:
    """Profile vectors vs encoding the profile text: cosine and top-10 agreement per job."""
    from indexer.documents import job_text, worker_text
    from matcher.encoder import get_encoder
    from matcher.profile_vectors import profile_vectors
    from registry.models import JobOrder

    s = common.settings(common.BENCH_DIR / "ingest-quality")
    tax = common.taxonomy(s)
    enc = get_encoder(s.model)
    space = common.label_space(tax, enc)
    jobs_rows = common.job_orders(tax, s, n=jobs_n)
    rows = next(common.worker_batches(tax, s, n, batch=n, seed=14, jobs=jobs_rows))
    texts = [worker_text(common.Row(r), tax) for r in rows]
    text_vecs = enc.encode(texts, batch_size=64)
    prof = profile_vectors([(r["experience"], r["skills"]) for r in rows], space)
    cos = (text_vecs * prof).sum(axis=1)
    jobs = [JobOrder(id=i + 1, **r) for i, r in enumerate(jobs_rows)]
    q = enc.encode([job_text(j, tax) for j in jobs], batch_size=32)
    agree = []
    for qv in q:
        a = set(np.argsort(-(text_vecs @ qv))[:10].tolist())
        b = set(np.argsort(-(prof @ qv))[:10].tolist())
        agree.append(len(a & b) / 10)
    return {"n": n, "jobs": jobs_n, "cosine_mean": float(cos.mean()),
            "cosine_p10": float(np.percentile(cos, 10)), "top10_agreement": float(np.mean(agree))}


def _child(fn: Any, arg: Any, q: Any) -> None:
    q.put(fn(arg))


def _in_child(fn: Any, arg: Any) -> dict[str, Any]:
    """Run ``fn(arg)`` in a fresh process, so its peak RSS is its own (not the baselines',
    which load the encoder) and one N's memory does not carry into the next."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(fn, arg, q))
    p.start()
    while True:
        try:
            res = q.get(timeout=5)
            break
        except queue.Empty:
            if p.is_alive():
                continue
            try:  # it may have put its result just before exiting
                res = q.get(timeout=1)
                break
            except queue.Empty:
                raise RuntimeError(f"{fn.__name__}({arg}) failed: exit code {p.exitcode}"
                                   ) from None
    p.join(60)
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--skip-baseline", action="store_true")
    args = ap.parse_args(argv)
    base = None if args.skip_baseline else run_one_by_one()
    if base:
        common.emit("ingest-baseline-one-by-one", base)
        common.emit("ingest-free-text", run_free_text())
        common.emit("ingest-profile-vector-quality", run_quality())
    for n in args.n:
        res = _in_child(run_bulk, n)
        if base:
            res["baseline_one_by_one_workers_per_s"] = base["workers_per_s"]
            res["speedup"] = res["workers_per_s"] / base["workers_per_s"]
        common.emit("ingest", res)


if __name__ == "__main__":
    main()
