"""Benchmark `encode`: texts/s of the encoder variants, and their cosine to plain fp32.

    python -m bench.encode [--texts 256]

Texts are ~40-word worker profiles (occupation, skills, own words) generated from ESCO.
Variants, all on the same texts in the same process:

- ``fp32`` (baseline): sentence-transformers, MiniLM-L6, batch 64, as ``matcher.encoder`` runs it;
- ``int8-dynamic``: torch dynamic int8 quantisation of every Linear layer (per tensor);
- ``int8-dynamic-per-channel``: the same with per-channel weight scales;
- ``int8-ffn-only``: int8 for the feed-forward layers only, attention kept in fp32;
- ``profile-vectors``: structured profiles from precomputed ESCO label embeddings
  (``matcher.profile_vectors``) — no encoder at all (its cosine is to the text's embedding).
"""

from __future__ import annotations

import argparse
import copy
import time
from typing import Any

import numpy as np

from bench import common


def _texts(n: int) -> tuple[list[str], list[dict[str, Any]], Any, Any]:
    from indexer.documents import worker_text

    s = common.settings(common.BENCH_DIR / "encode")
    tax = common.taxonomy(s)
    rows = next(common.worker_batches(tax, s, n, batch=n, seed=21))
    texts = []
    for r in rows:
        t = worker_text(common.Row(r), tax)
        texts.append(" ".join(t.split()[:48]))  # ~40 words, as the issue specifies
    return texts, rows, tax, s


def _rate(fn: Any, texts: list[str]) -> tuple[float, np.ndarray]:
    fn(texts[:16])  # warm up
    t0 = time.perf_counter()
    out = fn(texts)
    return len(texts) / (time.perf_counter() - t0), out


def run(n: int = 256) -> dict[str, Any]:
    import torch

    from matcher.encoder import SentenceEncoder
    from matcher.profile_vectors import profile_vectors

    texts, rows, tax, _ = _texts(n)
    enc = SentenceEncoder()
    enc.warm_up()
    model = enc._model
    words = float(np.mean([len(t.split()) for t in texts]))

    def st(m: Any) -> Any:
        return lambda xs: m.encode(xs, batch_size=64, normalize_embeddings=True,
                                   convert_to_numpy=True)

    base_rate, base = _rate(st(model), texts)
    out: dict[str, Any] = {"texts": n, "mean_words": words, "torch_threads":
                           torch.get_num_threads(),
                           "variants": {"fp32": {"texts_per_s": base_rate, "cosine_min": 1.0,
                                                 "cosine_mean": 1.0}}}

    def variant(name: str, m: Any) -> None:
        rate, vecs = _rate(st(m), texts)
        cos = (vecs * base).sum(axis=1)
        out["variants"][name] = {"texts_per_s": rate, "speedup": rate / base_rate,
                                 "cosine_min": float(cos.min()), "cosine_mean": float(cos.mean())}

    q = torch.ao.quantization
    variant("int8-dynamic", q.quantize_dynamic(copy.deepcopy(model), {torch.nn.Linear},
                                               dtype=torch.qint8))
    variant("int8-dynamic-per-channel", q.quantize_dynamic(
        copy.deepcopy(model), {torch.nn.Linear: q.per_channel_dynamic_qconfig}, dtype=torch.qint8))
    ffn = copy.deepcopy(model)
    spec = {name: q.per_channel_dynamic_qconfig for name, mod in ffn.named_modules()
            if isinstance(mod, torch.nn.Linear) and (".intermediate." in name or
                                                     name.endswith("output.dense")
                                                     and ".attention." not in name)}
    variant("int8-ffn-only", q.quantize_dynamic(ffn, spec, dtype=torch.qint8))

    from matcher.encoder import get_encoder

    space = common.label_space(tax, get_encoder())
    profiles = [(r["experience"], r["skills"]) for r in rows]
    t0 = time.perf_counter()
    for _ in range(20):
        pv = profile_vectors(profiles, space)
    rate = 20 * n / (time.perf_counter() - t0)
    full = enc.encode(list(texts))
    cos = (pv * full).sum(axis=1)
    out["variants"]["profile-vectors"] = {"texts_per_s": rate, "speedup": rate / base_rate,
                                          "cosine_min": float(cos.min()),
                                          "cosine_mean": float(cos.mean())}
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=256)
    args = ap.parse_args(argv)
    common.emit("encode", run(args.texts))


if __name__ == "__main__":
    main()
