"""Train the occupation ranker's second stage: a cross-encoder over the first stage's top k.

    python -m training.cross_encoder train --max-minutes 35      # → var/models/cross-occ-<time>/
    python -m training.cross_encoder train --resume NAME         # continue on the next anchors
    python -m training.cross_encoder export NAME                 # ONNX fp32 + int8, fidelity
    python -m training.cross_encoder tune NAME                   # dev: k, alpha → rerank.json
    python -m training.cross_encoder evaluate NAME               # eval tasks with / without

Data: the encoder's pairs (``training.datasets.build_pairs``, sources ``esco-alt`` and
``onet-title``, with its leakage filter: no evaluation text reaches training or dev): the anchor
(ESCO alternative label, O*NET alternate title) is the query, prepared as serving prepares it
(``ConceptRanker.prepare``); the positive is its occupation's :func:`rerank_doc`. Hard
negatives are the *first stage's* own confusions: occupations it ranks in its top 10 for the
anchor (an ESCO alternative label is left out of its own occupation's labels, as the
esco-altlabels task does, else the first stage would find it trivially), plus the dataset's
ISCO sibling. Loss: binary cross-entropy on (query, occupation text) pairs, 1 positive : 3
negatives, AdamW, linear warm-up. The dev split (5 % of occupations, ``build_pairs``) chooses k
and alpha; nothing is tuned on an evaluation set.

The starting point is the packaged all-MiniLM-L6-v2 (offline) with a fresh one-logit head.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from matcher.cross_encoder import MAX_LENGTH, ONNX_FILES, rerank_doc
from matcher.encoder import PACKAGED, packaged_model_path
from matcher.normalise import ConceptRanker
from training.examples import Example

NEGATIVES = 3
MINE_TOP = 10
DEV_TOP = 50  # dev groups keep the first stage's top 60 (k up to 50 is tuned)
SOURCES = ("esco-alt", "onet-title")


@dataclass
class Group:
    """One anchor: its prepared query, the positive occupation and the first stage's top list."""

    query: str
    pos: int
    top: list[int]
    top_scores: list[float]
    source: str


def log(msg: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def mine(occ: ConceptRanker, examples: list[Example], top: int, batch: int = 256
         ) -> list[Group]:
    """First-stage top ``top`` for each example's anchor (alt labels left out of their own
    occupation, as in the esco-altlabels task)."""
    groups: list[Group] = []
    items = []
    for e in examples:
        pos = occ.uri_index.get(e.key)
        if pos is None:
            continue
        excl = occ.entry_key.get((pos, e.anchor.strip().casefold())) if e.source == \
            "esco-alt" else None
        items.append((occ.prepare(e.anchor), pos, excl, e.source))
    for s in range(0, len(items), batch):
        chunk = items[s:s + batch]
        m = occ.score_matrix([c[0] for c in chunk], exclude=[c[2] for c in chunk])
        idx = np.argpartition(-m, top - 1, axis=1)[:, :top]
        for r, (q, pos, _, src) in enumerate(chunk):
            order = idx[r][np.argsort(-m[r, idx[r]], kind="stable")]
            groups.append(Group(q, pos, [int(i) for i in order],
                                [float(m[r, i]) for i in order], src))
    return groups


def training_pairs(groups: list[Group], docs: list[str], sibling: dict[int, int | None],
                   rng: random.Random) -> list[tuple[str, str, float]]:
    """(query, doc, label) rows: the positive and NEGATIVES hard negatives per group."""
    rows = []
    for g in groups:
        confusions = [i for i in g.top[:MINE_TOP] if i != g.pos]
        negs = rng.sample(confusions, min(NEGATIVES - 1, len(confusions)))
        sib = sibling.get(id(g))
        extra = [i for i in (sib, *g.top[MINE_TOP:]) if i is not None and i != g.pos
                 and i not in negs]
        negs += extra[:NEGATIVES - len(negs)]
        rows.append((g.query, docs[g.pos], 1.0))
        rows += [(g.query, docs[i], 0.0) for i in negs]
    return rows


def _setup(settings: Any) -> tuple[Any, ConceptRanker]:
    from matcher.encoder import get_encoder
    from matcher.normalise import build_occupation_ranker
    from matcher.taxonomy import load_taxonomy

    tax = load_taxonomy(settings.esco_dir, Path(settings.cache_dir))
    occ = build_occupation_ranker(tax, get_encoder(PACKAGED), Path(settings.cache_dir))
    return tax, occ


def _threads(n: int | None) -> int:
    import torch

    n = n or 2
    torch.set_num_threads(n)
    return n


def train(settings: Any, *, max_minutes: float, anchors: int, dev_anchors: int, batch: int,
          lr: float, seed: int, threads: int | None, name: str = "cross-occ",
          resume: str | None = None, warmup: int = 30) -> Path:
    """Mine, train until the time is up, save the checkpoint and the dev groups.

    ``resume``: continue from that artefact's checkpoint on the anchors after the ones it
    consumed (same seed, same shuffled order), with the same dev groups; a new artefact.
    """
    import torch
    from sentence_transformers import CrossEncoder

    from matcher.models import models_dir
    from training.datasets import build_pairs
    from training.finetune import git_commit

    t_start = time.time()
    threads = _threads(threads)
    tax, occ = _setup(settings)
    pairs = build_pairs(tax, Path(settings.data_dir), sources=SOURCES, seed=seed)
    rng = random.Random(seed)
    train_ex = [e for e in pairs.train if e.source in SOURCES]
    rng.shuffle(train_ex)
    prev: dict[str, Any] = {}
    if resume:
        prev = json.loads((models_dir(settings.var_dir) / resume / "manifest.json").read_text())
    offset = int(prev.get("anchor_offset", 0)) + int(prev.get("pairs_seen", 0)) // (
        1 + NEGATIVES)
    train_ex = train_ex[offset:offset + anchors]
    dev_ex = [e for e in pairs.dev if e.source in SOURCES]
    rng.shuffle(dev_ex)
    dev_ex = dev_ex[:0 if resume else dev_anchors]
    log(f"pairs: train {len(pairs.train)}, dev {len(pairs.dev)}, dropped as eval "
        f"{pairs.dropped_eval}; mining {len(train_ex)} train + {len(dev_ex)} dev anchors")
    docs = [rerank_doc(c) for c in occ.concepts]
    groups = mine(occ, train_ex, top=30)
    dev_groups = mine(occ, dev_ex, top=DEV_TOP + 10)
    by_label = {o.label: o.uri for o in tax.occupations.values()}
    sibling = {id(g): occ.uri_index.get(by_label.get(e.negative, "")) for g, e in zip(
        groups, [e for e in train_ex if e.key in occ.uri_index], strict=True)}
    rows = training_pairs(groups, docs, sibling, rng)
    log(f"mined in {time.time() - t_start:.0f}s: {len(rows)} pairs from {len(groups)} anchors")

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = models_dir(settings.var_dir) / f"{name}-{stamp}"
    out.mkdir(parents=True)
    if resume:
        shutil.copy(models_dir(settings.var_dir) / resume / "dev_groups.json",
                    out / "dev_groups.json")
    else:
        (out / "dev_groups.json").write_text(json.dumps([g.__dict__ for g in dev_groups]))
    init = models_dir(settings.var_dir) / resume / "model" if resume else packaged_model_path()
    model = CrossEncoder(str(init), num_labels=1, max_length=MAX_LENGTH,
                         device="cpu", local_files_only=True)
    hf, tok = model.model, model.tokenizer
    hf.train()
    # The word-embedding matrix (30,522 × 384, half the weights) stays frozen: updating it
    # densely every step costs more than the six layers on this CPU, and titles are in vocabulary.
    hf.get_input_embeddings().weight.requires_grad_(False)
    params = [p for p in hf.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    per_step = batch * (1 + NEGATIVES)
    deadline = t_start + max_minutes * 60
    step, seen, losses, history = 0, 0, [], []
    t_train = time.time()
    while time.time() < deadline and seen + per_step <= len(rows):
        chunk = rows[seen:seen + per_step]
        feats = tok([r[0] for r in chunk], [r[1] for r in chunk], padding=True,
                    truncation="longest_first", max_length=MAX_LENGTH, return_tensors="pt")
        for g in opt.param_groups:
            g["lr"] = lr * min(1.0, (step + 1) / warmup)
        logits = hf(**feats).logits[:, 0]
        loss = loss_fn(logits, torch.tensor([r[2] for r in chunk]))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        seen += per_step
        losses.append(loss.item())
        if step % 25 == 0:
            history.append({"step": step, "pairs": seen, "loss": round(float(np.mean(
                losses[-25:])), 4), "s": round(time.time() - t_train)})
            log(f"step {step}: {seen} pairs, loss {history[-1]['loss']}, "
                f"{time.time() - t_train:.0f}s, load {os.getloadavg()[0]:.1f}")
    model.save(str(out / "model"), create_model_card=False)
    created = dt.datetime.now().isoformat(timespec="seconds")
    manifest = {"name": out.name, "created": created, "git": git_commit(), "base": PACKAGED,
                "data": pairs.manifest(), "sources": list(SOURCES), "anchors": len(groups),
                "dev_anchors": len(dev_groups), "pairs_seen": seen, "steps": step,
                "anchor_offset": offset, "resumed_from": prev or None,
                "batch_anchors": batch, "negatives": NEGATIVES, "lr": lr, "seed": seed,
                "threads": threads, "max_length": MAX_LENGTH,
                "train_s": round(time.time() - t_train), "total_s": round(time.time() - t_start),
                "loss_history": history, "load_average_end": round(os.getloadavg()[0], 2)}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    (out / "meta.json").write_text(json.dumps(
        {"kind": "cross-encoder", "name": out.name, "created": created, "summary": {
            "message": f"{step} steps, {seen} pairs; not tuned yet"}}, indent=1))
    log(f"saved {out} ({step} steps, {seen} pairs)")
    return out


def main(argv: list[str] | None = None) -> int:
    from registry.config import get_settings

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--max-minutes", type=float, default=35.0)
    t.add_argument("--anchors", type=int, default=8000)
    t.add_argument("--dev-anchors", type=int, default=300)
    t.add_argument("--batch", type=int, default=8, help="anchors per step (× 4 pairs)")
    t.add_argument("--lr", type=float, default=5e-5)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--resume", default=None, help="continue from this artefact's checkpoint")
    t.add_argument("--warmup", type=int, default=30)
    for cmd in ("export", "tune", "evaluate"):
        p = sub.add_parser(cmd)
        p.add_argument("name", help="artefact under var/models")
        p.add_argument("--threads", type=int, default=1)
        if cmd == "tune":
            p.add_argument("--dev-groups", type=int, default=None)
            p.add_argument("--variant", choices=sorted(ONNX_FILES), default=None,
                           help="default: int8 if it holds dev MRR@10 within 0.005 of fp32")
        if cmd == "evaluate":
            p.add_argument("--tasks", default="esco-altlabels,talentclef-a")
            p.add_argument("--limit", type=int, default=None)
            p.add_argument("--langs", default="english")
            p.add_argument("--talentclef-queries-only", action="store_true")
    a = ap.parse_args(argv)
    s = get_settings()
    if a.cmd == "train":
        train(s, max_minutes=a.max_minutes, anchors=a.anchors, dev_anchors=a.dev_anchors,
              batch=a.batch, lr=a.lr, seed=a.seed, threads=a.threads, resume=a.resume,
              warmup=a.warmup)
        return 0
    from matcher.models import models_dir
    from training import cross_encoder_eval as ce

    art = models_dir(s.var_dir) / a.name
    if not (art / "model").is_dir():
        ap.error(f"name: no cross-encoder checkpoint at {art / 'model'}")
    _threads(a.threads)
    result: dict[str, Any]
    if a.cmd == "export":
        ce.export_onnx(art)
        _, occ = _setup(s)
        result = ce.fidelity(art, ce.concept_docs(occ), threads=a.threads)
        (art / "fidelity.json").write_text(json.dumps(result, indent=1))
    elif a.cmd == "tune":
        _, occ = _setup(s)
        variant = a.variant
        if variant is None:
            fid = json.loads((art / "fidelity.json").read_text())
            loss = fid["fp32"]["dev_mrr@10_k50_alpha1"] - fid["int8"]["dev_mrr@10_k50_alpha1"]
            variant = "int8" if loss <= ce.INT8_MAX_LOSS else "fp32"
        result = ce.tune(art, ce.concept_docs(occ), variant, threads=a.threads,
                         n_groups=a.dev_groups)
    else:
        result = ce.evaluate(s, art, a.tasks.split(","), a.limit, tuple(a.langs.split(",")),
                             a.talentclef_queries_only)
        (art / f"eval-{dt.datetime.now():%Y%m%d-%H%M%S}.json").write_text(
            json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
