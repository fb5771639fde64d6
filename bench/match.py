"""Benchmark `match`: rank workers for verified job orders, eligibility filters on.

    python -m bench.match --n 10000 100000          # the standard rows
    python -m bench.match --n 1000000               # the 1M row (builds a 1M index once)

For each N it builds (once, cached under var/bench/match-N/) an embedded index of N synthetic
workers through the backend's real write path (tantivy + columns + vectors; worker vectors from
ESCO label embeddings, see matcher/profile_vectors.py), then, per job order:

- ``vector``: the vector leg alone under the eligibility filter (``search(text=None, k=10)``),
  with the IVF index (new) and with the exact numpy scan (baseline), and recall@10 of the former
  against the latter on the same eligible candidates;
- ``flow``: the whole officer search, ``indexer.ranking.rank_workers_for_job`` (BM25 ∪ kNN under
  the filter, scoring 300 candidates, excluded counts per rule), IVF vs exact scan, and the
  overlap of the two top-10 lists;
- ``flow_baseline``: the same search as it was computed before (exact vector scan, BM25 as one
  ``text AND filters`` tantivy query with the filters scoring 0, ``score_pair`` per candidate):
  latency, and whether the new flow returns the same top 10 (ids) with the same scores.

The variants are backends opened on the same index folder with other constructor arguments
(``exact_vectors=True``, ``keyword="conjunction"``). Filter masks and counts are dropped before
every query so no query reuses another's work.
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench import common

K = 10


def _job_vectors(tax: Any, jobs: list[Any], encoder: Any) -> np.ndarray:
    from indexer.documents import job_text

    key = f"{len(jobs)}-{jobs[0].id}-{jobs[-1].id}"
    path = common.BENCH_DIR / f"job-vectors-{encoder.name}-{key}.npy"
    if path.exists():
        return np.load(path)
    vecs = encoder.encode([job_text(j, tax) for j in jobs], batch_size=32)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vecs)
    return vecs


def build_index(n: int, s: Any, tax: Any, space: Any, jobs_rows: list[dict], *,
                batch: int = 10_000, log: bool = True) -> tuple[Path, dict[str, float]]:
    """Build (or reuse) an embedded index of n workers; return its folder and build figures."""
    from indexer.documents import WORKERS, worker_document, worker_schema
    from indexer.embedded import EmbeddedBackend
    from matcher.profile_vectors import profile_vectors

    ingested = common.BENCH_DIR / f"ingest-{n}"
    if (ingested / "DONE").exists():  # same generator and seed: reuse bench.ingest's index
        return ingested / "index", {}
    root = common.BENCH_DIR / f"match-{n}" / "index"
    done = root.parent / "DONE"
    if done.exists():
        return root, {}
    import shutil

    shutil.rmtree(root.parent, ignore_errors=True)
    backend = EmbeddedBackend(root, flush_interval_s=3600)
    backend.ensure_index(worker_schema(space.vectors.shape[1]))
    t_gen = t_idx = 0.0
    next_id = 1
    t0 = time.perf_counter()
    gen = common.worker_batches(tax, s, n, batch=batch, jobs=jobs_rows)
    while True:
        a = time.perf_counter()
        rows = next(gen, None)
        t_gen += time.perf_counter() - a
        if rows is None:
            break
        a = time.perf_counter()
        vecs = profile_vectors([(r["experience"], r["skills"]) for r in rows], space)
        docs = []
        for r, v in zip(rows, vecs, strict=True):
            docs.append(worker_document(common.Row(r, id=next_id, version=1), tax, v))
            next_id += 1
        backend.upsert(WORKERS, docs)
        t_idx += time.perf_counter() - a
        if log and (next_id - 1) % 100_000 == 0:
            print(f"  built {next_id - 1:,} workers in {time.perf_counter() - t0:.0f}s "
                  f"(generate {t_gen:.0f}s, index {t_idx:.0f}s)", flush=True)
    a = time.perf_counter()
    backend.close()
    t_idx += time.perf_counter() - a
    done.write_text(str(n))
    return root, {"generate_s": t_gen, "index_s": t_idx}


def reference_flow(ix: Any, job: Any, limit: int = 20, pool: int = 300) -> list[tuple[int, float]]:
    """The officer search as computed before the one-pass scorer: ``score_pair`` per hit.

    Returns ``[(worker id, score)]`` best first. The caller passes an indexer whose backend
    was opened in the baseline variant.
    """
    from indexer.documents import JOBS, WORKERS
    from indexer.ranking import CONSENT
    from matcher import eligibility
    from matcher.inputs import job_facts, job_text, required_skills
    from matcher.models import active_weights
    from matcher.scoring import Experience, score_pair

    facts = job_facts(job)
    filters = [c.as_dict() for c in (CONSENT, *eligibility.filter_clauses(facts))]
    text = job_text(job, ix.taxonomy)
    vector = ix.backend.get(JOBS, job.id).vector
    hits = ix.backend.search(WORKERS, text=text, vector=vector, filters=filters,
                             k=max(pool, limit))
    req, opt = required_skills(job, ix.taxonomy.essential)
    occ = ix.taxonomy.occupations.get(job.occupation_uri or "")
    bm25_max = max((h.keyword_score for h in hits), default=0.0)
    weights = active_weights(ix.settings.var_dir)
    scored = []
    for h in hits:
        exp = [Experience(e["occupation_uri"], e.get("isco_group", ""), e["years"],
                          e.get("confidence", 1.0)) for e in h.payload.get("experience", [])]
        total, _, _, _ = score_pair(
            bm25=h.keyword_score, bm25_max=bm25_max, cosine=h.vector_score, job_required=req,
            job_optional=opt, job_uri=job.occupation_uri, job_isco=occ.isco_group if occ else "",
            worker_skills=h.payload.get("skills", []), worker_experience=exp, weights=weights,
            occupation_skills=ix.taxonomy.essential)
        scored.append((h.id, round(total, 4)))
    scored.sort(key=lambda m: (-m[1], m[0]))
    # The excluded counts per rule, as before (one count per rule, nothing cached).
    ix.backend.count(WORKERS)
    ix.backend.count(WORKERS, [CONSENT.as_dict()])
    for rule_clauses in eligibility.rule_filters(facts).values():
        ix.backend.count(WORKERS, [c.as_dict() for c in rule_clauses])
    ix.backend.count(WORKERS, filters)
    return scored[:limit]


def run(n: int, queries: int = 60, seed: int = 7) -> dict[str, Any]:
    """Measure one N; return the result row."""
    from indexer.documents import JOBS, WORKERS, job_document, job_schema, worker_schema
    from indexer.embedded import EmbeddedBackend
    from indexer.ranking import rank_workers_for_job
    from indexer.service import Indexer
    from matcher import eligibility
    from matcher.encoder import get_encoder
    from registry.models import JobOrder

    s = common.settings(common.BENCH_DIR / f"match-{n}" / "var")
    tax = common.taxonomy(s)
    encoder = get_encoder(s.model)
    space = common.label_space(tax, encoder)
    jobs_rows = common.job_orders(tax, s, n=400, seed=seed)
    root, built = build_index(n, s, tax, space, jobs_rows)

    # Verified, open job orders are what an officer searches for.
    jobs = []
    for i, r in enumerate(jobs_rows, start=1):
        if r["status"] == "verified" and r["deadline"] >= common.TODAY:
            jobs.append(JobOrder(id=i, version=1, **r))
    jobs = jobs[:queries]
    jvecs = _job_vectors(tax, jobs, encoder)

    t = time.perf_counter()
    backend = EmbeddedBackend(root, flush_interval_s=3600)
    dim = space.vectors.shape[1]
    backend.ensure_index(worker_schema(dim))
    backend.ensure_index(job_schema(dim))
    backend.upsert(JOBS, [job_document(j, tax, v, common.TODAY) for j, v in zip(jobs, jvecs,
                                                                               strict=True)])
    count = backend.count(WORKERS)
    open_s = time.perf_counter() - t
    backend.flush()  # the variants below open the same folder: let them read the snapshot
    exact = EmbeddedBackend(root, flush_interval_s=3600, exact_vectors=True)
    baseline = EmbeddedBackend(root, flush_interval_s=3600, exact_vectors=True,
                               keyword="conjunction")
    for b in (exact, baseline):
        b.ensure_index(worker_schema(dim))
        b.ensure_index(job_schema(dim))
    ixs = {ann: Indexer(s, backend=b, encoder=encoder, taxonomy=tax)
           for ann, b in ((True, backend), (False, exact))}
    ix_base = Indexer(s, backend=baseline, encoder=encoder, taxonomy=tax)

    filters = []
    for j in jobs:
        facts = eligibility.JobFacts(deadline=j.deadline, min_age=j.min_age, max_age=j.max_age,
                                     gender_rule=j.gender_rule, domestic_work=j.domestic_work,
                                     medical_required=j.medical_required,
                                     required_ntvqf_level=j.required_ntvqf_level,
                                     languages=tuple(j.languages or ()))
        clauses = [{"field": "consent", "op": "eq", "value": True},
                   *(c.as_dict() for c in eligibility.filter_clauses(facts))]
        filters.append(clauses)
    eligible = [backend.count(WORKERS, f) for f in filters]

    # CPU time of this thread as well as wall time: on a shared machine the wall time mostly
    # measures waiting for a core, the CPU time what the search costs.
    cpu: dict[str, list[float]] = {}

    def vector_leg(ann: bool) -> tuple[list[float], list[set[int]]]:
        b = backend if ann else exact
        ms, tops = [], []
        for q, f in zip(jvecs, filters, strict=True):
            b.drop_caches()
            a, c = time.perf_counter(), time.thread_time()
            hits = b.search(WORKERS, text=None, vector=q, filters=f, k=K)
            ms.append((time.perf_counter() - a) * 1e3)
            cpu.setdefault(f"vector_{'ann' if ann else 'exact'}", []).append(
                (time.thread_time() - c) * 1e3)
            tops.append({h.id for h in sorted(hits, key=lambda h: -h.vector_score)[:K]})
        return ms, tops

    def flow(ann: bool) -> tuple[list[float], list[list[tuple[int, float]]]]:
        ix, b = ixs[ann], backend if ann else exact
        ms, tops = [], []
        for j in jobs:
            b.drop_caches()
            a, c = time.perf_counter(), time.thread_time()
            res = rank_workers_for_job(ix, j, limit=20)
            ms.append((time.perf_counter() - a) * 1e3)
            cpu.setdefault(f"flow_{'ann' if ann else 'exact'}", []).append(
                (time.thread_time() - c) * 1e3)
            tops.append([(m.id, m.score) for m in res.items[:K]])
        return ms, tops

    def flow_baseline() -> tuple[list[float], list[list[tuple[int, float]]]]:
        ms, tops = [], []
        for j in jobs:
            baseline.drop_caches()
            a, c = time.perf_counter(), time.thread_time()
            top = reference_flow(ix_base, j, limit=20)
            ms.append((time.perf_counter() - a) * 1e3)
            cpu.setdefault("flow_baseline", []).append((time.thread_time() - c) * 1e3)
            tops.append(top[:K])
        return ms, tops

    def agreement(a: list[list[tuple[int, float]]], b: list[list[tuple[int, float]]]) -> float:
        return float(np.mean([len({i for i, _ in x} & {i for i, _ in y}) / max(1, min(K, len(y)))
                              for x, y in zip(a, b, strict=True)]))

    gc.collect()
    vector_leg(True)  # warm caches (page cache, centroid order) once
    cpu.clear()
    exact_ms, exact_top = vector_leg(False)
    ann_ms, ann_top = vector_leg(True)
    recall = float(np.mean([len(a & e) / max(1, min(K, len(e)))
                            for a, e in zip(ann_top, exact_top, strict=True)]))
    base_ms, base_top = flow_baseline()
    fexact_ms, fexact_top = flow(False)
    fann_ms, fann_top = flow(True)
    fagree = agreement(fann_top, fexact_top)
    # Same top 10 as the old flow, with scores within 1e-4 (the scores are rounded to 4 places;
    # tantivy's float32 sums can differ in the last bit between the two BM25 forms).
    same_scores = float(np.mean([
        len(x) == len(y)
        and all(abs(s1 - s2) <= 1e-4 for (_, s1), (_, s2) in zip(x, y, strict=False))
        for x, y in zip(fexact_top, base_top, strict=True)]))
    root_bytes = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    res = {
        "n": count, "queries": len(jobs), "eligible_mean": float(np.mean(eligible)),
        "ivf_lists": backend.stats(WORKERS).ivf_lists,
        "vector_ann_ms": common.percentiles(ann_ms),
        "vector_exact_ms": common.percentiles(exact_ms),
        "vector_speedup_p50": float(np.median(exact_ms) / np.median(ann_ms)),
        "recall_at_10": recall,
        "flow_ann_ms": common.percentiles(fann_ms),
        "flow_exact_ms": common.percentiles(fexact_ms),
        "flow_speedup_p50": float(np.median(fexact_ms) / np.median(fann_ms)),
        "flow_top10_agreement": fagree,
        "flow_baseline_ms": common.percentiles(base_ms),
        "flow_speedup_vs_baseline_p50": float(np.median(base_ms) / np.median(fann_ms)),
        "flow_top10_agreement_vs_baseline": agreement(fann_top, base_top),
        "flow_exact_top10_agreement_vs_baseline": agreement(fexact_top, base_top),
        "flow_exact_same_scores_as_baseline": same_scores,
        "cpu_ms": {k: common.percentiles(v) for k, v in cpu.items()},
        "flow_cpu_speedup_vs_baseline_p50": float(np.median(cpu["flow_baseline"])
                                                  / np.median(cpu["flow_ann"])),
        "open_s": open_s, "index_bytes_per_worker": root_bytes / max(count, 1),
        "peak_rss_mib": common.peak_rss_mib(), **built,
    }
    for b in (backend, exact, baseline):
        b.close()
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--queries", type=int, default=60)
    args = ap.parse_args(argv)
    for n in args.n:
        common.emit("match", run(n, queries=args.queries))


if __name__ == "__main__":
    main()
