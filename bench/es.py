"""Benchmark `es`: hybrid retrieval on the Elasticsearch backend, eligibility filters on.

    bash scripts/services.sh up                  # Elasticsearch on 127.0.0.1:9200
    eval "$(bash scripts/services.sh env)"       # SHETU_ELASTICSEARCH_URL
    python -m bench.es [--n 100000] [--queries 60]

Loads N synthetic workers (the same generator, seed and ids as ``bench.ingest``, structured
profile vectors) into a benchmark-prefixed ES index once (reused while its count matches), then
runs the officer search's retrieval step — ``search(workers, text=job text, vector=job vector,
filters=eligibility, k=300)``, BM25 ∪ filtered kNN in one ``_msearch`` — for verified, open job
orders, and the excluded-per-rule counts. Reports p50/p95/p99. Baseline in the same run: the
same calls on the embedded backend over the same documents (``bench.ingest``'s index), and the
overlap of the two backends' kNN top-10.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np

from bench import common

POOL = 300
K = 10


def _docs(n: int, s: Any, tax: Any, space: Any, jobs_rows: list[dict]) -> Any:
    from indexer.documents import worker_document
    from matcher.profile_vectors import profile_vectors

    next_id = 1
    for rows in common.worker_batches(tax, s, n, batch=20_000, jobs=jobs_rows):
        vecs = profile_vectors([(r["experience"], r["skills"]) for r in rows], space)
        docs = []
        for r, v in zip(rows, vecs, strict=True):
            docs.append(worker_document(common.Row(r, id=next_id, version=1), tax, v))
            next_id += 1
        yield docs


def run(n: int = 100_000, queries: int = 60, url: str | None = None) -> dict[str, Any]:
    from bench.match import _job_vectors
    from indexer.documents import WORKERS, job_text, worker_schema
    from indexer.elasticsearch import ElasticsearchBackend
    from indexer.embedded import EmbeddedBackend
    from indexer.ranking import CONSENT, job_facts
    from matcher import eligibility
    from matcher.encoder import get_encoder
    from registry.models import JobOrder

    url = url or os.environ.get("SHETU_ELASTICSEARCH_URL", "http://127.0.0.1:9200")
    s = common.settings(common.BENCH_DIR / f"es-{n}")
    tax = common.taxonomy(s)
    encoder = get_encoder(s.model)
    space = common.label_space(tax, encoder)
    jobs_rows = common.job_orders(tax, s, n=400, seed=7)
    schema = worker_schema(space.vectors.shape[1])

    es = ElasticsearchBackend(url, prefix=f"bench{n}", timeout_s=60)
    es.ensure_index(schema)
    load_s = None
    if es.count(WORKERS) != n:
        t0 = time.perf_counter()
        with es.rebuild(WORKERS) as rebuild:
            for docs in _docs(n, s, tax, space, jobs_rows):
                rebuild.upsert(docs)
        es.client.options(request_timeout=1800).indices.forcemerge(
            index=es.alias(WORKERS), max_num_segments=1)
        es.client.indices.refresh(index=es.alias(WORKERS))
        load_s = time.perf_counter() - t0

    # Baseline: the embedded backend over the same documents (bench.ingest's index).
    ingested = common.BENCH_DIR / f"ingest-{n}"
    if not (ingested / "DONE").exists():
        from bench import ingest

        common.emit("ingest", ingest.run_bulk(n))
    emb = EmbeddedBackend(ingested / "index", flush_interval_s=3600)
    emb.ensure_index(schema)

    jobs = [JobOrder(id=i, version=1, **r) for i, r in enumerate(jobs_rows, start=1)
            if r["status"] == "verified" and r["deadline"] >= common.TODAY][:queries]
    jvecs = _job_vectors(tax, jobs, encoder)
    calls = []
    for j, v in zip(jobs, jvecs, strict=True):
        facts = job_facts(j)
        filters = [c.as_dict() for c in (CONSENT, *eligibility.filter_clauses(facts))]
        rules = [[CONSENT.as_dict()]] + [[c.as_dict() for c in cl] for cl in
                                         eligibility.rule_filters(facts).values()]
        calls.append((job_text(j, tax), v, filters, rules))

    def measure(backend: Any, drop: Any = None) -> tuple[list[float], list[float], list[set]]:
        search_ms, count_ms, tops = [], [], []
        for text, v, filters, rules in calls:
            if drop:
                drop()
            a = time.perf_counter()
            hits = backend.search(WORKERS, text=text, vector=v, filters=filters, k=POOL)
            b = time.perf_counter()
            backend.count(WORKERS, filters)
            for r in rules:
                backend.count(WORKERS, r)
            c = time.perf_counter()
            search_ms.append((b - a) * 1e3)
            count_ms.append((c - b) * 1e3)
            tops.append({h.id for h in sorted(hits, key=lambda h: -h.vector_score)[:K]})
        return search_ms, count_ms, tops

    measure(es)  # warm up (page cache, HNSW graph, query caches)
    es_search, es_count, es_top = measure(es)
    emb_search, emb_count, emb_top = measure(emb, emb.drop_caches)
    overlap = float(np.mean([len(a & b) / max(1, min(K, len(b)))
                             for a, b in zip(es_top, emb_top, strict=True)]))
    es_flow = [a + b for a, b in zip(es_search, es_count, strict=True)]
    emb_flow = [a + b for a, b in zip(emb_search, emb_count, strict=True)]
    res = {"n": es.count(WORKERS), "queries": len(calls), "pool": POOL, "load_s": load_s,
           "es_search_ms": common.percentiles(es_search),
           "es_counts_ms": common.percentiles(es_count),
           "es_search_and_counts_ms": common.percentiles(es_flow),
           "embedded_search_ms": common.percentiles(emb_search),
           "embedded_search_and_counts_ms": common.percentiles(emb_flow),
           "es_over_embedded_p50": float(np.median(es_search) / np.median(emb_search)),
           "knn_top10_overlap_es_vs_embedded": overlap}
    emb.close()
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=60)
    ap.add_argument("--url", default=None)
    args = ap.parse_args(argv)
    common.emit("es", run(args.n, args.queries, args.url))


if __name__ == "__main__":
    main()
