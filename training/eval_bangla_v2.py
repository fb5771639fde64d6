"""Bangla as workers write it (issue 15): the v2 worker set, new pipeline vs current pipeline.

Data: ``training/data/bangla_worker_queries_v2.tsv`` (304 self-descriptions, 5 styles, split
dev/test before any tuning). Systems, all in this process on the same occupation ranker:

- ``current``: the pipeline before this work (Bangla script detected by ``is_bangla`` and
  translated by the v1 lexicon ``translate_bangla``; Banglish ranked as English text), built
  here explicitly so it stays the baseline once ``ConceptRanker.prepare`` calls v2;
- ``current-bn``: the same with ``lang="bn"`` forced (what ``shetu eval bangla`` measured);
- ``v2``: :func:`matcher.bangla.to_english` when :func:`matcher.bangla.needs_bangla` (or always,
  with ``lang="bn"``), then the same spelling corrector and ranker;
- ``minilm``: all-MiniLM-L6-v2 zero-shot cosine of the raw text to preferred labels.

Metrics: MRR@10 and R@10 (any acceptable URI counts), per split and per style; latency per
query (p50/p95, one query at a time, after warm-up) of preparation + ranking for ``current`` and
``v2``, alternating, with their ratio.

    python -m training.eval_bangla_v2 --split test [--json] [--model NAME]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from matcher.bangla import needs_bangla, to_english
from matcher.encoder import get_encoder
from matcher.normalise import (
    ConceptRanker,
    build_occupation_ranker,
    clean_query,
    is_bangla,
    translate_bangla,
)
from matcher.taxonomy import load_taxonomy

V2_SET = Path(__file__).resolve().parent / "data" / "bangla_worker_queries_v2.tsv"
STYLES = ("bn", "loan", "banglish", "variant", "mixed")


def read_v2(path: Path = V2_SET, split: str | None = None) -> list[dict]:
    """Rows of the v2 set as dicts (query, expected list, trade, sector, style, length, split)."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        header: list[str] | None = None
        for line in fh:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if header is None:
                header = cols
                continue
            r: dict[str, Any] = dict(zip(header, cols, strict=True))
            r["expected"] = [u for u in r["expected"].split("|") if u]
            if split in (None, "all") or r["split"] == split:
                rows.append(r)
    return rows


def v1_prepare(ranker: ConceptRanker, query: str, lang: str | None = None) -> str:
    """The text the pipeline before v2 ranked: the v1 lexicon for detected Bangla script."""
    text = clean_query(query)
    if lang == "bn" or (lang is None and is_bangla(text)):
        text = translate_bangla(text)
    return ranker.spell.fix(text)


def v2_prepare(ranker: ConceptRanker, query: str, lang: str | None = None) -> str:
    """The v2 pipeline's text for ``query``: Bangla/Banglish → English trades, then spelling."""
    text = clean_query(query)
    if lang == "bn" or (lang is None and needs_bangla(text)):
        text = to_english(text)
    return ranker.spell.fix(text)


def _metrics(scores: np.ndarray, rel: list[int], k: int = 10) -> tuple[float, float]:
    if not rel or not np.any(scores > 0):
        return 0.0, 0.0
    top = np.argsort(-scores, kind="stable")[:k]
    for rank, i in enumerate(top, 1):
        if i in rel and scores[i] > 0:
            return 1.0 / rank, 1.0
    return 0.0, 0.0


def evaluate(ranker: ConceptRanker, rows: list[dict],
             systems: dict[str, Callable[[list[str]], np.ndarray]]) -> dict:
    """MRR@10 / R@10 per system, overall and by style."""
    qrels = [[ranker.uri_index[u] for u in r["expected"] if u in ranker.uri_index] for r in rows]
    out: dict[str, Any] = {"n": len(rows), "systems": {}}
    queries = [r["query"] for r in rows]
    for name, fn in systems.items():
        scores = fn(queries)
        per = [_metrics(scores[i], qrels[i]) for i in range(len(rows))]
        res: dict[str, Any] = {"MRR@10": float(np.mean([p[0] for p in per])),
               "R@10": float(np.mean([p[1] for p in per])), "by_style": {}}
        for st in STYLES:
            idx = [i for i, r in enumerate(rows) if r["style"] == st]
            if idx:
                res["by_style"][st] = {"n": len(idx),
                                       "MRR@10": float(np.mean([per[i][0] for i in idx])),
                                       "R@10": float(np.mean([per[i][1] for i in idx]))}
        out["systems"][name] = res
    return out


def latency(ranker: ConceptRanker, queries: list[str], repeat: int = 1) -> dict:
    """Per-query wall time (ms) of preparation + ranking, one query at a time: the current
    pipeline and v2 alternate query by query, so machine load hits both alike."""
    for q in queries[:5]:
        ranker.score_matrix([v2_prepare(ranker, q)])
    times: dict[str, list[float]] = {"current": [], "v2": []}
    prep: list[float] = []
    for _ in range(repeat):
        for q in queries:
            t0 = time.perf_counter()
            ranker.score_matrix([v1_prepare(ranker, q)])
            times["current"].append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            text = v2_prepare(ranker, q)
            t1 = time.perf_counter()
            ranker.score_matrix([text])
            times["v2"].append((time.perf_counter() - t0) * 1000)
            prep.append((t1 - t0) * 1000)
    out: dict[str, Any] = {"n": len(prep), "v2_step_p50_ms": round(statistics.median(prep), 3)}
    for name, ts in times.items():
        ts.sort()
        out[f"{name}_p50_ms"] = round(statistics.median(ts), 2)
        out[f"{name}_p95_ms"] = round(ts[int(0.95 * (len(ts) - 1))], 2)
    out["v2_over_current_p50"] = round(out["v2_p50_ms"] / out["current_p50_ms"], 3)
    return out


def main(argv: list[str] | None = None) -> int:
    from registry.config import Settings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("dev", "test", "all"), default="test")
    ap.add_argument("--model", default=None)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--no-latency", action="store_true")
    ap.add_argument("--misses", action="store_true", help="print the v2 misses (dev only)")
    args = ap.parse_args(argv)
    s = Settings()
    tax = load_taxonomy(s.esco_dir, s.cache_dir)
    enc = get_encoder(args.model or s.model)
    ranker = build_occupation_ranker(tax, enc, s.cache_dir)
    rows = read_v2(split=args.split)
    pref = None

    def minilm(qs: list[str]) -> np.ndarray:
        nonlocal pref
        if pref is None:
            pref = ranker.label_vecs[ranker.starts]
        return enc.encode(qs) @ pref.T

    systems: dict[str, Callable[[list[str]], np.ndarray]] = {
        "current": lambda qs: ranker.score_matrix([v1_prepare(ranker, q) for q in qs]),
        "current-bn": lambda qs: ranker.score_matrix([v1_prepare(ranker, q, "bn") for q in qs]),
        "v2": lambda qs: ranker.score_matrix([v2_prepare(ranker, q) for q in qs]),
        "minilm": minilm,
    }
    res = evaluate(ranker, rows, systems)
    res.update(split=args.split, model=enc.name, dataset=V2_SET.name)
    if not args.no_latency:
        res["latency_v2"] = latency(ranker, [r["query"] for r in rows])
    if args.misses:
        if args.split != "dev":
            print("--misses is for the dev split only", file=sys.stderr)
            return 2
        for r in rows:
            text = v2_prepare(ranker, r["query"])
            sc = ranker.score_matrix([text])[0]
            rel = [ranker.uri_index[u] for u in r["expected"]]
            rr, _ = _metrics(sc, rel)
            if rr < 1:
                best = ranker.concepts[int(np.argmax(sc))].label
                print(f"{rr:.2f}\t{r['style']}\t{r['trade']}\t{r['query'][:50]}\t→ {text[:60]}"
                      f"\t| top: {best}")
    if args.json:
        print(json.dumps(res, ensure_ascii=False, indent=1))
    else:
        print(f"{res['dataset']} split={args.split} n={res['n']} model={res['model']}")
        for name, m in res["systems"].items():
            styles = "  ".join(f"{st} {v['MRR@10']:.3f}/{v['R@10']:.2f}"
                               for st, v in m["by_style"].items())
            print(f"  {name:11s} MRR@10 {m['MRR@10']:.3f}  R@10 {m['R@10']:.3f}   [{styles}]")
        if "latency_v2" in res:
            print(f"  latency (prepare + ranker, 1 query at a time): {res['latency_v2']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
