"""Export, tune and evaluate a trained cross-encoder (``training.cross_encoder`` subcommands).

- :func:`export_onnx`: the checkpoint (``<artefact>/model``) to ONNX fp32 with eager attention,
  fused by onnxruntime's BERT optimiser, and int8 (dynamic, MatMul weights, unsigned per
  channel, as ``training.onnx_export`` does for the encoder) in ``<artefact>/onnx/``.
- :func:`fidelity`: logits of torch, ONNX fp32 and int8 on the same dev pairs.
- :func:`tune`: on the dev split only (5 % of ESCO occupations, never an evaluation set), the
  first stage's MRR@10 against the re-ranked one for each k in ``K_GRID`` and alpha in
  ``ALPHA_GRID``; writes ``rerank.json`` (k, alpha, variant) with the whole grid. The best
  setting is *recommended* only if it gains at least :data:`MIN_GAIN` MRR@10 on dev.
- :func:`evaluate`: evaluation tasks run twice in one process, without and with the second
  stage, on the same first-stage ranker.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from matcher.bm25 import tokenize
from matcher.cross_encoder import (
    MAX_LENGTH,
    MAX_QUERY_TOKENS,
    ONNX_FILES,
    SETTINGS_FILE,
    CrossReranker,
    OnnxCrossEncoder,
    PairScorer,
    TorchCrossEncoder,
    rerank_doc,
    sigmoid,
)

K_GRID = (20, 30, 50)
ALPHA_GRID = (0.25, 0.5, 0.75, 1.0)
MIN_GAIN = 0.01  # dev MRR@10 a second stage must add to be recommended
INT8_MAX_LOSS = 0.005  # int8 is used if its dev MRR@10 is within this of fp32's


def export_onnx(artefact: Path) -> dict[str, Path]:
    """Export ``artefact/model`` to ``artefact/onnx/model.onnx`` and ``model_int8.onnx``."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from training.onnx_export import export_bert

    src, out = artefact / "model", artefact / "onnx"
    out.mkdir(parents=True, exist_ok=True)
    tok = AutoTokenizer.from_pretrained(str(src))
    model = AutoModelForSequenceClassification.from_pretrained(
        str(src), attn_implementation="eager").eval()
    sample = tok(["tile setter", "welder"], ["tile fitter. Tile fitters lay tiles",
                                             "welder. Welders join metal parts by heat"],
                 padding=True, return_tensors="pt")
    return export_bert(model, tok, sample, "logits", out / ONNX_FILES["fp32"],
                       out / ONNX_FILES["int8"])


def _dev(artefact: Path, docs: list[str], n: int | None = None, top: int = max(K_GRID)
         ) -> tuple[list[dict], list[tuple[str, str]]]:
    groups = json.loads((artefact / "dev_groups.json").read_text())[:n]
    pairs = [(g["query"], docs[i]) for g in groups for i in g["top"][:top]]
    return groups, pairs


def mrr_at_10(groups: list[dict], probs: np.ndarray | None, k: int, alpha: float,
              top: int = max(K_GRID)) -> float:
    """Dev MRR@10 of first stage (``probs`` None) or first stage + re-ranked top ``k``."""
    total = 0.0
    for n, g in enumerate(groups):
        s = np.asarray(g["top_scores"], dtype=np.float64)
        if probs is not None and 0 < len(tokenize(g["query"])) <= MAX_QUERY_TOKENS:
            p = probs[n * top:n * top + k]
            s[:k] = (1 - alpha) * s[:k] + alpha * p
        order = np.argsort(-s, kind="stable")
        ranked = [g["top"][i] for i in order[:10]]
        if g["pos"] in ranked:
            total += 1.0 / (ranked.index(g["pos"]) + 1)
    return total / max(len(groups), 1)


def fidelity(artefact: Path, docs: list[str], n_groups: int = 4, threads: int = 2
             ) -> dict[str, Any]:
    """Torch vs ONNX fp32 vs int8 logits and dev MRR@10 on the first ``n_groups`` dev groups."""
    groups, pairs = _dev(artefact, docs, n_groups)
    torch_scorer = TorchCrossEncoder(artefact / "model")
    out: dict[str, Any] = {"pairs": len(pairs), "groups": len(groups)}
    ref: np.ndarray | None = None
    scorers: list[tuple[str, PairScorer]] = [("torch", torch_scorer)]
    scorers += [(v, OnnxCrossEncoder(artefact / "onnx" / f, threads=threads))
                for v, f in ONNX_FILES.items()]
    for name, scorer in scorers:
        t = time.perf_counter()
        logits = scorer.score(pairs)
        row: dict[str, Any] = {"pairs_per_s": round(len(pairs) / (time.perf_counter() - t), 1)}
        if ref is None:
            ref = logits
        else:
            row["max_abs_logit_diff"] = round(float(np.abs(logits - ref).max()), 4)
            row["max_abs_prob_diff"] = round(float(np.abs(sigmoid(logits) - sigmoid(ref)).max()),
                                             4)
        row["dev_mrr@10_k50_alpha1"] = round(mrr_at_10(groups, sigmoid(logits), 50, 1.0), 4)
        out[name] = row
    out["load_average"] = round(os.getloadavg()[0], 2)
    return out


def tune(artefact: Path, docs: list[str], variant: str, threads: int = 2,
         n_groups: int | None = None) -> dict[str, Any]:
    """Choose k and alpha on the dev split (the first ``n_groups`` dev anchors); write
    ``rerank.json``; return it."""
    groups, pairs = _dev(artefact, docs, n_groups)
    scorer: PairScorer = OnnxCrossEncoder(artefact / "onnx" / ONNX_FILES[variant],
                                          threads=threads)
    t = time.perf_counter()
    probs = sigmoid(scorer.score(pairs))
    secs = time.perf_counter() - t
    base = mrr_at_10(groups, None, 0, 0.0)
    grid = {f"k{k}_a{a}": round(mrr_at_10(groups, probs, k, a), 4) for k in K_GRID
            for a in ALPHA_GRID}
    best = max(grid, key=lambda key: (grid[key], -int(key[1:].split("_")[0])))
    k, alpha = int(best[1:].split("_")[0]), float(best.split("_a")[1])
    cfg = {"k": k, "alpha": alpha, "variant": variant, "max_length": MAX_LENGTH,
           "max_query_tokens": MAX_QUERY_TOKENS,
           "recommended": grid[best] - base >= MIN_GAIN,
           "dev": {"queries": len(groups), "first_stage_mrr@10": round(base, 4),
                   "best_mrr@10": grid[best], "grid": grid, "pairs": len(pairs),
                   "pairs_per_s": round(len(pairs) / secs, 1),
                   "load_average": round(os.getloadavg()[0], 2)}}
    (artefact / SETTINGS_FILE).write_text(json.dumps(cfg, indent=1))
    return cfg


class _QueriesOnly:
    """A second stage applied to some texts only (TalentCLEF queries, not corpus titles)."""

    def __init__(self, rr: CrossReranker, texts: set[str]) -> None:
        self.rr, self.texts = rr, texts

    def rerank(self, texts: list[str], docs: list[str], scores: np.ndarray) -> np.ndarray:
        rows = [i for i, t in enumerate(texts) if t in self.texts]
        out = np.array(scores, copy=True)
        if rows:
            out[rows] = self.rr.rerank([texts[i] for i in rows], docs, out[rows])
        return out


def _talentclef_queries(ctx: Any, langs: tuple[str, ...]) -> set[str]:
    import csv

    occ, out = ctx.occupations, set()
    for lang in langs:
        f = ctx.eval_dir / "talentclef2025-task-a" / "validation" / lang / "queries"
        with open(f, encoding="utf-8", newline="") as fh:
            out |= {occ.prepare(r[1]) for r in list(csv.reader(fh, delimiter="\t"))[1:] if r}
    return out


def evaluate(settings: Any, artefact: Path, tasks: list[str], limit: int | None,
             langs: tuple[str, ...], talentclef_queries_only: bool = False) -> dict[str, Any]:
    """Run ``tasks`` without and with the second stage in one process (same first stage).

    ``talentclef_queries_only``: the second stage re-ranks the TalentCLEF queries' occupation
    lists only, not the corpus titles' (a partial measurement, for lack of CPU time).
    """
    from matcher.cross_encoder import load_reranker
    from training.eval_context import EvalContext
    from training.eval_tasks import TASKS, talentclef_a

    ctx = EvalContext.from_settings(settings, limit=limit)
    occ = ctx.occupations
    rr: CrossReranker = load_reranker(artefact)
    out: dict[str, Any] = {"artefact": artefact.name, "k": rr.k, "alpha": rr.alpha,
                           "limit": limit, "tasks": {}}
    for task in tasks:
        fn = (lambda c: talentclef_a(c, langs)) if task == "talentclef-a" else TASKS[task]
        res: dict[str, Any] = {}
        second: Any = rr
        if task == "talentclef-a" and talentclef_queries_only:
            second = _QueriesOnly(rr, _talentclef_queries(ctx, langs))
            res["scope"] = "second stage on the queries' occupation lists only"
        for label, stage in (("first_stage", None), ("with_cross_encoder", second)):
            occ.reranker = stage
            t = time.perf_counter()
            r = fn(ctx)
            res[label] = {"seconds": round(time.perf_counter() - t, 1), "rows": r["rows"]}
            ctx.log(f"{task} {label}: " + "; ".join(
                f"{row['dataset']} {row['metric']} {row['systems']['shetu']}"
                for row in r["rows"]))
        occ.reranker = None
        out["tasks"][task] = res
    out["load_average"] = round(os.getloadavg()[0], 2)
    return out


def concept_docs(occ: Any) -> list[str]:
    """:func:`rerank_doc` of every concept of a ranker, in its order."""
    return [rerank_doc(c) for c in occ.concepts]
