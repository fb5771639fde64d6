"""Benchmark `rerank`: the occupation ranker's latency per query, without and with the
cross-encoder second stage on the top 20, 30 and 50.

    python -m bench.rerank NAME [--queries 100] [--threads 2] [--variant int8|fp32] [--ks 20,30,50]
    python -m bench.rerank NAME --ks ""      # the first stage alone (the <= 30 ms p50 target)

NAME is a cross-encoder artefact under ``var/models`` (``training.cross_encoder``). Queries are
its dev anchors (job titles from the dev split: the kind of text the second stage re-ranks;
longer texts skip it); each is ranked one at a time (``ConceptRanker.rank``, top 10) by every
system in turn, so that all systems see the same load. Prints p50/p95 per system, each as a
ratio to the first stage alone measured in the same process, and the load average. A row
"query encode only" is the encoder's share of the first stage: one ``encode([query])`` call,
timed in the same loop; "first stage, BLAS default" the first stage with numpy's BLAS pool at
its default size instead of the one thread the server keeps it to
(``matcher.encoder.one_blas_thread``), in alternating blocks of 25 queries.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

from matcher.cross_encoder import ONNX_FILES, CrossReranker, OnnxCrossEncoder
from matcher.encoder import one_blas_thread

K_VALUES = (20, 30, 50)


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main(argv: list[str] | None = None) -> int:
    import torch

    from matcher.encoder import PACKAGED, get_encoder
    from matcher.models import models_dir
    from matcher.normalise import build_occupation_ranker
    from matcher.taxonomy import load_taxonomy
    from registry.config import get_settings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name")
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--variant", choices=sorted(ONNX_FILES), default=None)
    ap.add_argument("--ks", default=",".join(map(str, K_VALUES)),
                    help="second-stage depths to time, comma-separated ('' for none)")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    s = get_settings()
    art = models_dir(s.var_dir) / a.name
    cfg = json.loads((art / "rerank.json").read_text()) if (art / "rerank.json").is_file() else {}
    variant = a.variant or cfg.get("variant", "int8")
    alpha = float(cfg.get("alpha", 0.5))
    queries = [g["query"] for g in json.loads((art / "dev_groups.json").read_text())]
    queries = queries[:a.queries]
    load0 = os.getloadavg()
    tax = load_taxonomy(s.esco_dir, Path(s.cache_dir))
    encoder = get_encoder(PACKAGED)
    occ = build_occupation_ranker(tax, encoder, Path(s.cache_dir))
    ks = [int(k) for k in a.ks.split(",") if k.strip()]
    systems: dict[str, CrossReranker | None] = {"first stage": None}
    if ks:
        scorer = OnnxCrossEncoder(art / "onnx" / ONNX_FILES[variant], threads=a.threads)
        systems.update({f"+ cross-encoder top {k}": CrossReranker(scorer, k=k, alpha=alpha)
                        for k in ks})
    for q in queries[:5]:  # warm-up: spelling index, sessions, caches
        for rr in systems.values():
            occ.reranker = rr
            occ.rank(q)
    times: dict[str, list[float]] = {n: [] for n in [*systems, "query encode only"]}
    # The BLAS comparison runs in blocks, not query by query: a pool's threads keep spinning
    # after a call, so a default-size BLAS call would slow the next query of the other system.
    times["first stage, BLAS default"] = []
    default_blas = threadpool_limits(limits=None).get_original_num_threads()["blas"]
    blocks = [queries[i:i + 25] for i in range(0, len(queries), 25)]
    for block in blocks:
        with threadpool_limits(limits=default_blas, user_api="blas"):
            occ.reranker = None
            for q in block:
                t = time.perf_counter()
                occ.rank(q)
                times["first stage, BLAS default"].append((time.perf_counter() - t) * 1000)
        one_blas_thread()  # as the server runs (api.app)
        for q in block:
            for n, rr in systems.items():
                occ.reranker = rr
                t = time.perf_counter()
                occ.rank(q)
                times[n].append((time.perf_counter() - t) * 1000)
            occ.reranker = None
            t = time.perf_counter()
            encoder.encode([q])
            times["query encode only"].append((time.perf_counter() - t) * 1000)
    occ.reranker = None
    base = statistics.median(times["first stage"])
    base95 = _pct(times["first stage"], 0.95)
    print(f"bench rerank: {len(queries)} dev titles, artefact {a.name} ({variant}, alpha "
          f"{alpha}), {a.threads} threads, {os.cpu_count()} cores; load average "
          f"{load0[0]:.1f} at start, {os.getloadavg()[0]:.1f} at end")
    print(f"{'system':<26} {'p50 ms':>8} {'p95 ms':>8} {'p50 ratio':>10} {'p95 ratio':>10}")
    for n, xs in times.items():
        p50, p95 = statistics.median(xs), _pct(xs, 0.95)
        print(f"{n:<26} {p50:8.1f} {p95:8.1f} {p50 / base:9.2f}x {p95 / base95:9.2f}x")
    print("target: first stage <= 30 ms p50 "
          + ("(met)" if base <= 30 else "(NOT met on this machine at this load)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
