"""Fine-tune the sentence encoder on taxonomy pairs (and, optionally, recorded outcomes).

    shetu train encoder --max-minutes 20              # the documented run (CPU)
    python -m training.finetune --max-steps 30 --eval-tasks ""   # a smoke run

The run reads as numbered steps (sentence-transformers' training examples do the same):

1. Build the pairs (``training.datasets``): train split, dev split, evaluation texts held out.
2. Load the base encoder (the packaged MiniLM, offline) and evaluate it: dev MRR (dev anchors →
   the preferred labels of all ESCO occupations) and the matching-quality tasks
   (``training.eval_tasks``, default ``talentclef-a`` and ``esco-altlabels``).
3. Train with MultipleNegativesRankingLoss (in-batch negatives + one hard negative per anchor),
   AdamW, linear warm-up then linear decay over the *time* budget, until ``--max-minutes`` or
   ``--max-steps``.
4. Evaluate the trained encoder the same way.
5. Save ``var/models/<name>-<timestamp>/``: ``model/`` (a sentence-transformers directory),
   ``metrics.json`` (before/after, loss curve), ``manifest.json`` (git commit, data
   fingerprints and counts, arguments, library versions), ``train.jsonl.gz`` (the exact
   examples) and ``meta.json`` (what ``shetu models list`` shows).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from matcher.encoder import PACKAGED, packaged_model_path
from matcher.taxonomy import Taxonomy, load_taxonomy
from training.datasets import build_pairs
from training.examples import Example, PairSet, batches, write_examples

DEFAULT_SOURCES = ("esco-alt", "onet-title", "esco-skill")
DEFAULT_TASKS = ("talentclef-a", "esco-altlabels")
DEV_QUERIES = 600
REPO_ROOT = Path(__file__).resolve().parent.parent
Log = Callable[[str], None]


def git_commit(repo: Path = REPO_ROOT) -> dict[str, Any]:
    """Return the repository's HEAD commit and whether tracked files differ from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                              text=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=repo, capture_output=True, text=True, check=True,
                               timeout=10).stdout.strip()
        return {"commit": head, "dirty": bool(dirty)}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def default_threads() -> int:
    """Return the torch thread count used for training: half the CPU cores, at least one."""
    return max(1, (os.cpu_count() or 2) // 2)


def base_model_path(base: str) -> Path:
    """Return the directory of the base encoder (``packaged:…`` or a path)."""
    return packaged_model_path() if base == PACKAGED else Path(base)


# --------------------------------------------------------------------------------------------
# Dev evaluation (fast, runs before and after training)
# --------------------------------------------------------------------------------------------


def dev_mrr(model: Any, dev: Sequence[Example], tax: Taxonomy, n: int = DEV_QUERIES) -> dict:
    """Return MRR@10 and R@1 of dev anchors → their occupation among all ESCO preferred labels."""
    uris = list(tax.occupations)
    pos = {u: i for i, u in enumerate(uris)}
    qs = [e for e in dev if e.key in pos][:n] if n > 0 else []
    if not qs:
        return {"dev_mrr@10": float("nan"), "dev_r@1": float("nan"), "dev_n": 0}
    was_training = model.training
    model.eval()
    labels = model.encode([tax.occupations[u].label for u in uris], batch_size=128,
                          normalize_embeddings=True, convert_to_numpy=True)
    q = model.encode([e.anchor for e in qs], batch_size=128, normalize_embeddings=True,
                     convert_to_numpy=True)
    model.train(was_training)
    from training.metrics import hit_at, reciprocal_rank

    sims = q @ labels.T
    gold = [pos[e.key] for e in qs]
    rr = [reciprocal_rank(row, [g], 10) for row, g in zip(sims, gold, strict=True)]
    r1 = [hit_at(row, [g], 1) for row, g in zip(sims, gold, strict=True)]
    return {"dev_mrr@10": round(float(np.mean(rr)), 4), "dev_r@1": round(float(np.mean(r1)), 4),
            "dev_n": len(qs)}


def run_eval_tasks(settings: Any, model_ref: str, tasks: Sequence[str], limit: int | None,
                   log: Log) -> dict[str, dict]:
    """Run matching-quality tasks for ``model_ref``; return ``{task: {dataset/metric: value}}``."""
    if not tasks:
        return {}
    from training.eval_tasks import EvalContext
    from training.evaluate import run_tasks

    ctx = EvalContext.from_settings(settings, model=model_ref, limit=limit, log=log)
    results = run_tasks(list(tasks), ctx)
    return {task: {f"{r['dataset']} | {r['metric']}": r["systems"]["shetu"] for r in res["rows"]}
            | {"_minilm": {f"{r['dataset']} | {r['metric']}": r["systems"]["minilm"]
                           for r in res["rows"]}, "_seconds": res["seconds"]}
            for task, res in results.items()}


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


def train_loop(model: Any, train: Sequence[Example], *, batch_size: int, lr: float,
               max_seconds: float, max_steps: int | None, warmup_steps: int, seed: int,
               log: Log, log_every: int = 50) -> dict[str, Any]:
    """Train ``model`` in place with MNRL + hard negatives; return the loss curve and counts."""
    import torch
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    torch.manual_seed(seed)
    rng = random.Random(seed)
    loss_fn = MultipleNegativesRankingLoss(model)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    probe = list(train[:2 * batch_size])

    def probe_loss() -> float:
        # The loss on a fixed set of training batches, in eval mode: comparable before/after.
        was = model.training
        model.eval()
        with torch.no_grad():
            vals = [float(loss_fn([model.tokenize([getattr(e, f) for e in b])
                                   for f in ("anchor", "positive", "negative")], None))
                    for b in (probe[i:i + batch_size] for i in range(0, len(probe), batch_size))
                    if len(b) > 1]
        model.train(was)
        return round(float(np.mean(vals)), 4) if vals else float("nan")

    probe_before = probe_loss()
    model.train()
    losses: list[float] = []
    t0 = time.monotonic()
    step, seen, epoch = 0, 0, 0

    def lr_at(step: int, elapsed: float) -> float:
        warm = min(1.0, (step + 1) / max(warmup_steps, 1))
        frac_time = elapsed / max_seconds if max_seconds > 0 else 0.0
        frac_steps = step / max_steps if max_steps else 0.0
        return lr * warm * max(0.05, 1.0 - max(frac_time, frac_steps))

    done = False
    while not done:
        epoch += 1
        for batch in batches(train, batch_size, rng):
            elapsed = time.monotonic() - t0
            if (max_steps is not None and step >= max_steps) or elapsed >= max_seconds:
                done = True
                break
            for g in opt.param_groups:
                g["lr"] = lr_at(step, elapsed)
            feats = [model.tokenize([getattr(e, f) for e in batch])
                     for f in ("anchor", "positive", "negative")]
            loss = loss_fn(feats, None)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            losses.append(float(loss.detach()))
            step += 1
            seen += len(batch)
            if step % log_every == 0:
                log(f"  step {step}: loss {np.mean(losses[-log_every:]):.4f} "
                    f"({time.monotonic() - t0:.0f}s, epoch {epoch})")
    secs = time.monotonic() - t0
    k = max(1, len(losses) // 10)
    return {"steps": step, "examples_seen": seen, "epochs_started": epoch,
            "probe_loss_before": probe_before, "probe_loss_after": probe_loss(),
            "seconds": round(secs, 1), "loss_first": round(float(np.mean(losses[:k])), 4)
            if losses else None, "loss_last": round(float(np.mean(losses[-k:])), 4)
            if losses else None, "loss_curve": [round(float(np.mean(losses[i:i + k])), 4)
                                                for i in range(0, len(losses), k)]}


def finetune(settings: Any, *, name: str = "minilm-shetu", base: str = PACKAGED,
             max_minutes: float = 20.0, max_steps: int | None = None, batch_size: int = 32,
             lr: float = 5e-5, warmup_steps: int = 30,
             sources: Sequence[str] = DEFAULT_SOURCES, max_examples: int | None = None,
             eval_tasks: Sequence[str] = DEFAULT_TASKS, eval_limit: int | None = None,
             models_dir: Path | None = None, seed: int = 0, threads: int | None = None,
             dev_queries: int = DEV_QUERIES, log: Log = print) -> Path:
    """Fine-tune ``base`` and save an artefact directory; return its path."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    # Half the cores by default: on a shared 2-core machine one busy thread trains ~2x faster
    # than two threads fighting other processes (measured: 3 s vs 7 s a batch of 32 triples).
    torch.set_num_threads(threads or default_threads())

    t_start = time.monotonic()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(models_dir or Path(settings.var_dir) / "models") / f"{name}-{stamp}"
    tmp = out.with_name(out.name + ".partial")
    tmp.mkdir(parents=True, exist_ok=False)

    log("1. building pairs (evaluation texts held out)")
    tax = load_taxonomy(settings.esco_dir, Path(settings.cache_dir))
    pairs: PairSet = build_pairs(tax, settings.data_dir, sources=sources,
                                 database_url=settings.database_url if "outcome" in sources
                                 else None, seed=seed, max_examples=max_examples)
    log(f"   {len(pairs.train)} train, {len(pairs.dev)} dev, {pairs.dropped_eval} dropped "
        f"because they contain an evaluation text; by source {pairs.counts}")
    write_examples(pairs.train, tmp / "train.jsonl.gz")

    log("2. evaluating the base encoder")
    model = SentenceTransformer(str(base_model_path(base)), device="cpu")
    before = {"dev": dev_mrr(model, pairs.dev, tax, dev_queries)}
    log(f"   dev {before['dev']}")
    before["tasks"] = run_eval_tasks(settings, base, eval_tasks, eval_limit, log)

    log(f"3. training (≤ {max_minutes} min{f', ≤ {max_steps} steps' if max_steps else ''})")
    curve = train_loop(model, pairs.train, batch_size=batch_size, lr=lr,
                       max_seconds=max_minutes * 60, max_steps=max_steps,
                       warmup_steps=warmup_steps, seed=seed, log=log)
    log(f"   {curve['steps']} steps, loss {curve['loss_first']} → {curve['loss_last']}; on "
        f"fixed probe batches {curve['probe_loss_before']} → {curve['probe_loss_after']}")
    model.save(str(tmp / "model"), create_model_card=False)

    log("4. evaluating the trained encoder")
    after = {"dev": dev_mrr(model, pairs.dev, tax, dev_queries)}
    log(f"   dev {after['dev']}")
    final_ref = str(out / "model")
    # Tasks load the encoder by path; evaluate from the final location so caches key on it.
    tmp.rename(out)
    after["tasks"] = run_eval_tasks(settings, final_ref, eval_tasks, eval_limit, log)

    log("5. saving metrics and manifest")
    import sentence_transformers

    metrics = {"before": before, "after": after, "training": curve,
               "base": base, "eval_limit": eval_limit}
    manifest = {
        "name": out.name, "created": dt.datetime.now().isoformat(timespec="seconds"),
        "git": git_commit(), "data": pairs.manifest(), "data_dir": str(settings.data_dir),
        "args": {"base": base, "max_minutes": max_minutes, "max_steps": max_steps,
                 "batch_size": batch_size, "lr": lr, "warmup_steps": warmup_steps,
                 "sources": list(sources), "max_examples": max_examples, "seed": seed,
                 "eval_tasks": list(eval_tasks), "threads": torch.get_num_threads()},
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "sentence_transformers": sentence_transformers.__version__},
        "wall_seconds": round(time.monotonic() - t_start, 1),
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1, ensure_ascii=False))
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    (out / "meta.json").write_text(json.dumps({
        "kind": "encoder", "name": out.name, "created": manifest["created"],
        "model": "model", "summary": summarise(metrics)}, indent=1, ensure_ascii=False))
    log(f"saved {out}")
    return out


def summarise(metrics: dict) -> dict[str, str]:
    """Return ``{metric: 'before → after'}`` for the dev split and every task row."""
    out = {}
    b, a = metrics["before"], metrics["after"]
    for k in ("dev_mrr@10", "dev_r@1"):
        out[k] = f"{b['dev'].get(k)} → {a['dev'].get(k)}"
    for task, rows in a.get("tasks", {}).items():
        for key, val in rows.items():
            if not key.startswith("_"):
                prev = b.get("tasks", {}).get(task, {}).get(key)
                out[key] = f"{prev} → {val}"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--name", default="minilm-shetu")
    ap.add_argument("--base", default=PACKAGED)
    ap.add_argument("--max-minutes", type=float, default=20.0)
    ap.add_argument("--max-steps", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--sources", default=",".join(DEFAULT_SOURCES))
    ap.add_argument("--max-examples", type=int, default=None)
    ap.add_argument("--eval-tasks", default=",".join(DEFAULT_TASKS))
    ap.add_argument("--eval-limit", type=int, default=None)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--warmup-steps", type=int, default=30)
    a = ap.parse_args(argv)
    from registry.config import get_settings

    finetune(get_settings(), name=a.name, base=a.base, max_minutes=a.max_minutes,
             max_steps=a.max_steps, batch_size=a.batch_size, lr=a.lr,
             sources=[s for s in a.sources.split(",") if s], max_examples=a.max_examples,
             eval_tasks=[t for t in a.eval_tasks.split(",") if t], eval_limit=a.eval_limit,
             threads=a.threads, warmup_steps=a.warmup_steps,
             log=lambda m: print(m, file=sys.stderr, flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

