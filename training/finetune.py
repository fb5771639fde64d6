"""Fine-tune the sentence encoder on taxonomy pairs (and, optionally, recorded outcomes).

    shetu train encoder --max-minutes 20              # a new run (CPU)
    shetu train encoder --resume [DIR] --max-minutes 20   # continue it: the runs add up
    python -m training.finetune --max-steps 30 --eval-tasks ""   # a smoke run

The run reads as numbered steps (sentence-transformers' training examples do the same):

1. Build the pairs (``training.datasets``): train split, dev split, evaluation texts held out;
   optionally replace half the title examples' negatives with the base model's confusions
   (``--mine-negatives``, ``training.mining``). Saved with the run (``train.jsonl.gz``,
   ``dev.jsonl.gz``, ``run.json``: the data manifest and the training arguments), so a resumed
   run reads exactly the same stream.
2. Load the base encoder (the packaged MiniLM, offline) and evaluate it: dev MRR (dev anchors →
   the preferred labels of all ESCO occupations) and the matching-quality tasks
   (``training.eval_tasks``, default ``talentclef-a`` and ``esco-altlabels``). Resumed runs skip
   this and load the last checkpoint instead.
3. Train (``training.train_loop``): MultipleNegativesRankingLoss (in-batch negatives + one hard
   negative per anchor) or its cached (GradCache) form, AdamW, a step-based LR schedule, until
   ``--max-minutes`` or ``--max-steps`` for this run (or SIGINT/SIGTERM), with a checkpoint
   (``training.checkpoint``) every ``--checkpoint-every`` steps and at the end.
4. Evaluate the trained encoder the same way (skipped when a signal stopped the run).
5. Save the run directory ``var/models/<name>-<timestamp>/``: ``model/`` (a sentence-transformers
   directory), ``metrics.json`` (before, after, one record per run: steps, examples seen,
   losses, load average, figures), ``manifest.json`` (git commit, data fingerprints and counts,
   arguments, totals, library versions), ``meta.json`` (what ``shetu models list`` shows) and
   ``checkpoints/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
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
from training.examples import Example, PairSet, write_examples

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
    qs = [e for e in dev if e.key in pos and e.positive == tax.occupations[e.key].label
          ][:n] if n > 0 else []
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
# Training runs (new or resumed)
# --------------------------------------------------------------------------------------------


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def _save_model(model: Any, run_dir: Path) -> None:
    """Replace ``run_dir/model`` with ``model`` (the new copy is complete before the swap)."""
    new, old, final = run_dir / "model.partial", run_dir / "model.old", run_dir / "model"
    for p in (new, old):
        if p.exists():
            shutil.rmtree(p)
    model.save(str(new), create_model_card=False)
    if final.exists():
        final.rename(old)
    new.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def _new_run(settings: Any, out: Path, args: dict[str, Any], tax: Taxonomy, dev_queries: int,
             eval_tasks: Sequence[str], eval_limit: int | None, log: Log) -> dict[str, Any]:
    """Build and save a new run's examples; evaluate the base encoder; return ``before``."""
    from sentence_transformers import SentenceTransformer

    log("1. building pairs (evaluation texts held out)")
    miner = None
    model = SentenceTransformer(str(base_model_path(args["base"])), device="cpu")
    if args["mine_negatives"] > 0:
        from training.datasets import onet_related
        from training.mining import mine_negatives

        related = onet_related(tax, settings.data_dir)

        def miner(ex: list[Example]) -> list[Example]:
            return mine_negatives(model, ex, tax, share=args["mine_negatives"],
                                  related=related, seed=args["seed"],
                                  max_anchors=args.get("mine_max_anchors"), log=log)
    sources = args["sources"]
    pairs: PairSet = build_pairs(tax, settings.data_dir, sources=sources,
                                 database_url=settings.database_url if "outcome" in sources
                                 else None, seed=args["seed"],
                                 max_examples=args["max_examples"], miner=miner)
    log(f"   {len(pairs.train)} train, {len(pairs.dev)} dev, {pairs.dropped_eval} dropped "
        f"because they contain an evaluation text; by source {pairs.counts}")
    write_examples(pairs.train, out / "train.jsonl.gz")
    write_examples(pairs.dev, out / "dev.jsonl.gz")
    _write_json(out / "run.json", {"args": args, "data": pairs.manifest(),
                                   "data_dir": str(settings.data_dir)})
    log("2. evaluating the base encoder")
    before = {"dev": dev_mrr(model, pairs.dev, tax, dev_queries)}
    log(f"   dev {before['dev']}")
    before["tasks"] = run_eval_tasks(settings, args["base"], eval_tasks, eval_limit, log)
    return before


def finetune(settings: Any, *, name: str = "minilm-shetu", base: str = PACKAGED,
             resume: Path | bool | None = None, max_minutes: float = 20.0,
             max_steps: int | None = None, batch_size: int = 32, lr: float = 5e-5,
             warmup_steps: int = 30, schedule_steps: int = 3000, loss: str = "mnrl",
             mini_batch_size: int = 32, checkpoint_every: int = 100,
             sources: Sequence[str] = DEFAULT_SOURCES, max_examples: int | None = None,
             mine_negatives: float = 0.0, mine_max_anchors: int | None = 10_000,
             eval_tasks: Sequence[str] = DEFAULT_TASKS,
             eval_limit: int | None = None, models_dir: Path | None = None, seed: int = 0,
             threads: int | None = None, dev_queries: int = DEV_QUERIES,
             log: Log = print) -> Path:
    """Fine-tune ``base`` (or continue a run with ``resume``); save the run directory; return it.

    ``resume``: a run directory, or True for the newest run named ``name-*`` with a checkpoint.
    A resumed run keeps the first run's examples and training arguments (``run.json``); only
    the budget (``max_minutes``, ``max_steps``), threads, checkpointing and evaluation are new.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    from training.checkpoint import TrainState, latest_checkpoint, latest_run, load_state
    from training.examples import read_examples
    from training.train_loop import train_loop

    # Half the cores by default: on a shared 2-core machine one busy thread trains ~2x faster
    # than two threads fighting other processes (measured: 3 s vs 7 s a batch of 32 triples).
    torch.set_num_threads(threads or default_threads())
    t_start = time.monotonic()
    mdir = Path(models_dir or Path(settings.var_dir) / "models")
    tax = load_taxonomy(settings.esco_dir, Path(settings.cache_dir))
    if resume:
        found = latest_run(mdir, name) if resume is True else Path(resume)
        if found is None or not (found / "run.json").exists():
            raise FileNotFoundError(f"no run to resume: {found or mdir / (name + '-*')}")
        out = found
        run = json.loads((out / "run.json").read_text(encoding="utf-8"))
        args = run["args"]
        metrics = json.loads((out / "metrics.json").read_text()) if (
            out / "metrics.json").exists() else {"before": {}, "runs": []}
        log(f"1. resuming {out.name}")
    else:
        args = {"base": base, "batch_size": batch_size, "lr": lr, "warmup_steps": warmup_steps,
                "schedule_steps": schedule_steps, "loss": loss,
                "mini_batch_size": mini_batch_size, "sources": list(sources),
                "max_examples": max_examples, "seed": seed, "mine_negatives": mine_negatives,
                "mine_max_anchors": mine_max_anchors}
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = mdir / f"{name}-{stamp}"
        out.mkdir(parents=True, exist_ok=False)
        metrics = {"before": _new_run(settings, out, args, tax, dev_queries, eval_tasks,
                                      eval_limit, log), "runs": []}
        _write_json(out / "metrics.json", metrics)
    train = read_examples(out / "train.jsonl.gz")
    ckpt = latest_checkpoint(out)
    model = SentenceTransformer(str(ckpt / "model" if ckpt else base_model_path(args["base"])),
                                device="cpu")
    state = load_state(ckpt) if ckpt else TrainState()

    log(f"3. training from step {state.step} (≤ {max_minutes} min"
        f"{f', ≤ {max_steps} steps' if max_steps is not None else ''}; {args['loss']}, batch "
        f"{args['batch_size']}, {torch.get_num_threads()} threads)")
    rec = train_loop(model, train, run_dir=out, state=state, resume_from=ckpt,
                     batch_size=args["batch_size"], lr=args["lr"],
                     warmup_steps=args["warmup_steps"], schedule_steps=args["schedule_steps"],
                     max_seconds=max_minutes * 60, max_steps=max_steps, seed=args["seed"],
                     loss=args["loss"], mini_batch_size=args["mini_batch_size"],
                     checkpoint_every=checkpoint_every, log=log)
    log(f"   {rec['steps']} steps (total {rec['step_end']}, {rec['examples_seen']} examples "
        f"seen), loss {rec['loss_first']} → {rec['loss_last']}; on fixed probe batches "
        f"{rec['probe_loss_before']} → {rec['probe_loss_after']}")
    _save_model(model, out)

    if rec["stopped_by"]:
        log(f"   stopped by {rec['stopped_by']}: checkpoint saved, evaluation skipped")
    else:
        log("4. evaluating the trained encoder")
        dev = read_examples(out / "dev.jsonl.gz")
        rec["dev"] = dev_mrr(model, dev, tax, dev_queries)
        log(f"   dev {rec['dev']}")
        rec["tasks"] = run_eval_tasks(settings, str(out / "model"), eval_tasks, eval_limit, log)
        metrics["after"] = {"dev": rec["dev"], "tasks": rec["tasks"], "step": rec["step_end"]}

    log("5. saving metrics and manifest")
    metrics["runs"] = [*metrics.get("runs", []), rec]
    metrics["training"] = rec
    metrics["base"], metrics["eval_limit"] = args["base"], eval_limit
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    manifest |= {
        "name": out.name, "created": dt.datetime.now().isoformat(timespec="seconds"),
        "git": git_commit(), "steps": state.step, "examples_seen": state.examples_seen,
        "runs": [{k: r.get(k) for k in ("run", "started", "steps", "step_end", "examples_seen",
                                         "seconds", "loss_last", "threads", "load_avg_start",
                                         "stopped_by")} for r in metrics["runs"]],
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "sentence_transformers": sentence_transformers.__version__},
        "wall_seconds": round(time.monotonic() - t_start, 1)}
    manifest["args"] = args | {"threads": torch.get_num_threads(),
                               "checkpoint_every": checkpoint_every,
                               "eval_tasks": list(eval_tasks)}
    _write_json(out / "metrics.json", metrics)
    _write_json(out / "manifest.json", manifest)
    _write_json(out / "meta.json", {"kind": "encoder", "name": out.name,
                                    "created": manifest["created"], "model": "model",
                                    "summary": summarise(metrics)})
    log(f"saved {out}")
    return out


def summarise(metrics: dict) -> dict[str, str]:
    """Return ``{metric: 'before → after'}`` for the dev split and every task row."""
    out = {"steps": str(metrics.get("training", {}).get("step_end")),
           "examples_seen": str(metrics.get("training", {}).get("examples_seen"))}
    b, a = metrics.get("before") or {}, metrics.get("after") or {}
    for k in ("dev_mrr@10", "dev_r@1"):
        out[k] = f"{b.get('dev', {}).get(k)} → {a.get('dev', {}).get(k)}"
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
    ap.add_argument("--resume", nargs="?", const=True, default=None,
                    help="continue a run directory (default: the newest NAME-* run)")
    ap.add_argument("--max-minutes", type=float, default=20.0)
    ap.add_argument("--max-steps", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--loss", choices=("mnrl", "cached"), default="mnrl")
    ap.add_argument("--mini-batch-size", type=int, default=32)
    ap.add_argument("--schedule-steps", type=int, default=3000)
    ap.add_argument("--checkpoint-every", type=int, default=100)
    ap.add_argument("--mine-negatives", type=float, default=0.0)
    ap.add_argument("--mine-max-anchors", type=int, default=10_000)
    ap.add_argument("--sources", default=",".join(DEFAULT_SOURCES))
    ap.add_argument("--max-examples", type=int, default=None)
    ap.add_argument("--eval-tasks", default=",".join(DEFAULT_TASKS))
    ap.add_argument("--eval-limit", type=int, default=None)
    ap.add_argument("--dev-queries", type=int, default=DEV_QUERIES)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--warmup-steps", type=int, default=30)
    ap.add_argument("--models-dir", type=Path, default=None)
    a = ap.parse_args(argv)
    from registry.config import get_settings

    finetune(get_settings(), name=a.name, base=a.base,
             resume=Path(a.resume) if isinstance(a.resume, str) else a.resume,
             max_minutes=a.max_minutes, max_steps=a.max_steps, batch_size=a.batch_size,
             lr=a.lr, loss=a.loss, mini_batch_size=a.mini_batch_size,
             schedule_steps=a.schedule_steps, checkpoint_every=a.checkpoint_every,
             mine_negatives=a.mine_negatives, mine_max_anchors=a.mine_max_anchors,
             sources=[s for s in a.sources.split(",") if s],
             max_examples=a.max_examples, eval_tasks=[t for t in a.eval_tasks.split(",") if t],
             eval_limit=a.eval_limit, dev_queries=a.dev_queries, threads=a.threads,
             warmup_steps=a.warmup_steps, models_dir=a.models_dir,
             log=lambda m: print(m, file=sys.stderr, flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
