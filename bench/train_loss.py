"""Benchmark the encoder's training losses: peak memory and time a triple, plain vs cached.

    python -m bench.train_loss [--batches 32,128] [--mini 32] [--steps 2] [--threads 1]

Each configuration runs in its own child process (peak RSS is per process), on the same real
triples (``training.datasets.build_pairs``, first ``batch`` examples of the shuffled train set),
on the packaged MiniLM: one warm-up step, then ``--steps`` timed steps (forward, backward,
AdamW). Configurations: ``mnrl`` (MultipleNegativesRankingLoss) at each batch size — the
baseline — and ``cached`` (CachedMultipleNegativesRankingLoss, GradCache) at each batch size
with mini-batches of ``--mini``. Printed: peak RSS above the process after loading the model,
seconds a triple, and both as ratios to plain MNRL at the same batch size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

from bench import common


def _child(loss: str, batch: int, mini: int, steps: int, threads: int) -> dict[str, Any]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    from matcher.encoder import packaged_model_path
    from training.datasets import build_pairs
    from training.train_loop import make_loss

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    s = common.settings()
    pairs = build_pairs(common.taxonomy(s), s.data_dir, seed=0)
    model = SentenceTransformer(str(packaged_model_path()), device="cpu")
    rss0 = common.peak_rss_mib()
    loss_fn = make_loss(model, loss, mini)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
    batch_ex = pairs.train[:batch]
    secs = []
    for i in range(steps + 1):
        t0 = time.perf_counter()
        feats = [model.tokenize([getattr(e, f) for e in batch_ex])
                 for f in ("anchor", "positive", "negative")]
        value = loss_fn(feats, None)
        opt.zero_grad()
        value.backward()
        opt.step()
        if i:  # the first step warms up
            secs.append(time.perf_counter() - t0)
    return {"loss": loss, "batch": batch, "mini": mini if loss == "cached" else None,
            "peak_rss_above_model_mib": round(common.peak_rss_mib() - rss0, 1),
            "s_per_triple": round(min(secs) / batch, 4), "threads": threads}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--batches", default="32,128")
    ap.add_argument("--mini", type=int, default=32)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        loss, batch = a.child.split(":")
        print(json.dumps(_child(loss, int(batch), a.mini, a.steps, a.threads)))
        return 0
    rows = []
    for batch in [int(b) for b in a.batches.split(",")]:
        for loss in ("mnrl", "cached"):
            out = subprocess.run([sys.executable, "-m", "bench.train_loss", "--child",
                                  f"{loss}:{batch}", "--mini", str(a.mini), "--steps",
                                  str(a.steps), "--threads", str(a.threads)],
                                 capture_output=True, text=True, check=True)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    base = {r["batch"]: r for r in rows if r["loss"] == "mnrl"}
    for r in rows:
        b = base[r["batch"]]
        r["memory_ratio_vs_mnrl"] = round(r["peak_rss_above_model_mib"] /
                                          max(b["peak_rss_above_model_mib"], 1.0), 2)
        r["time_ratio_vs_mnrl"] = round(r["s_per_triple"] / b["s_per_triple"], 2)
    common.emit("train_loss", {"rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
