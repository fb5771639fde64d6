"""Benchmark `bangla`: cost of the v2 Bangla step per query, against the v1 lexicon step.

    python -m bench.bangla [--repeat 20]

Times, on the 304 queries of ``training/data/bangla_worker_queries_v2.tsv`` (all splits: no
quality figure is computed here), the text preparation that runs before the occupation ranker:
v1 = ``is_bangla`` + ``translate_bangla`` (matcher/normalise.py), v2 = ``needs_bangla`` +
``to_english`` (matcher/bangla). Also 2,000 English ESCO labels through ``needs_bangla`` alone,
which is what English queries pay. No model is loaded; the ranker itself (encoder + matrix
product) is not part of this step and is unchanged.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from collections.abc import Callable

from matcher.bangla import load_lexicon, needs_bangla, to_english
from matcher.normalise import is_bangla, translate_bangla
from registry.config import Settings
from training.eval_bangla_v2 import read_v2


def _per_query_us(fn: Callable[[str], object], texts: list[str], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        for t in texts:
            t0 = time.perf_counter()
            fn(t)
            out.append((time.perf_counter() - t0) * 1e6)
    return out


def v1(text: str) -> str:
    return translate_bangla(text) if is_bangla(text) else text


def v2(text: str) -> str:
    return to_english(text) if needs_bangla(text) else text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    t0 = time.perf_counter()
    load_lexicon()
    load_ms = (time.perf_counter() - t0) * 1000
    queries = [r["query"] for r in read_v2(split="all")]
    s = Settings()
    with open(s.esco_dir / "occupations_en.csv", encoding="utf-8") as fh:
        english = [r["preferredLabel"] for r in csv.DictReader(fh)][:2000]
    rows = [("v1 Bangla step (is_bangla + translate_bangla)", _per_query_us(v1, queries,
                                                                           args.repeat)),
            ("v2 Bangla step (needs_bangla + to_english)", _per_query_us(v2, queries,
                                                                         args.repeat)),
            ("v2 on English ESCO labels (needs_bangla only)",
             _per_query_us(v2, english, max(1, args.repeat // 4)))]
    print(f"lexicon + trade vocabulary load (once per process): {load_ms:.0f} ms")
    base = statistics.median(rows[0][1])
    for name, times in rows:
        times.sort()
        p50 = statistics.median(times)
        p95 = times[int(0.95 * (len(times) - 1))]
        print(f"{name:50s} p50 {p50:8.1f} µs  p95 {p95:8.1f} µs  ({p50 / base:.1f}× v1 p50)")


if __name__ == "__main__":
    main()
