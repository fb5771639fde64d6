"""Benchmark `encode`: texts/s of the encoder variants, their cosine to fp32, and their quality.

    python -m bench.encode [--texts 256] [--quality 300] [--distill]

Texts are ~40-word worker profiles (occupation, skills, own words) generated from ESCO.
Variants, all on the same texts in the same process, same thread count (all cores), each timed
in two interleaved rounds (best round kept, since this machine is shared):

- ``fp32`` (baseline): plain ``SentenceTransformer.encode``, MiniLM-L6, batch 64;
- ``onnx-fp32``: the fused ONNX export (``training.onnx_export``), ORT, length-sorted batches;
- ``onnx-int8``: the same quantised dynamically, U8U8 per-channel (what ``export-onnx`` ships);
- ``onnx-int8-u8s8``: signed int8 weights per-channel (the kernel that can saturate on AVX2);
- ``bulk path``: ``SentenceEncoder.encode`` on the batch — whichever of the above report.json
  approved (or torch);
- ``model2vec``: the static distillation (``training.distill``), 256 dims — its own space, so
  its cosine to fp32 is not defined; quality is compared instead;
- ``profile-vectors``: structured profiles from precomputed ESCO label embeddings
  (``matcher.profile_vectors``), no encoder (cosine is to the text's embedding).

Quality (labelled, in-run): ESCO alternative labels → their occupation among all ESCO
occupation preferred labels, plain dense retrieval, R@1 and MRR@10 on ``--quality`` sampled
alt labels, for fp32, onnx-int8 and model2vec. The full evaluations are ``shetu eval
esco-altlabels --model DIR`` and ``talentclef-a``.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench import common

ROUNDS = 2


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


def _onnx_files(work: Path) -> tuple[dict[str, Path], str]:
    """The ONNX files to time: the approved export if present, else a fresh one in ``work``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from matcher.encoder import PACKAGED, onnx_dir_for, weights_fingerprint
    from training.onnx_export import VARIANTS, export

    d = onnx_dir_for(PACKAGED)
    files = {k: d / f for k, f in VARIANTS.items()}
    source = f"{d} (export-onnx)"
    report = d / "report.json"
    if not (report.is_file() and all(p.is_file() for p in files.values())
            and weights_fingerprint(PACKAGED) in report.read_text()):
        from matcher.encoder import packaged_model_path

        files = export(packaged_model_path(), work)
        source = f"{work} (exported by this run)"
    u8s8 = work / "model_int8_u8s8.onnx"
    if not u8s8.is_file():
        quantize_dynamic(str(files["fp32"]), str(u8s8), weight_type=QuantType.QInt8,
                         per_channel=True, op_types_to_quantize=["MatMul"],
                         extra_options={"DefaultTensorType": 1})
    return {"onnx-fp32": files["fp32"], "onnx-int8": files["int8"],
            "onnx-int8-u8s8": u8s8}, source


def _alt_label_quality(tax: Any, encoders: dict[str, Callable[[list[str]], np.ndarray]],
                       n: int) -> dict[str, dict[str, float]]:
    """ESCO alt label → occupation (preferred labels), dense only: R@1, MRR@10 per encoder."""
    occ = sorted(tax.occupations.values(), key=lambda o: o.uri)
    labels = [o.label for o in occ]
    seen = {o.label.casefold() for o in occ}
    pairs = [(a, i) for i, o in enumerate(occ) for a in o.alt_labels
             if a.strip() and a.casefold() not in seen]
    pairs = random.Random(5).sample(pairs, min(n, len(pairs)))
    queries = [a for a, _ in pairs]
    gold = np.array([i for _, i in pairs])
    out = {}
    for name, fn in encoders.items():
        t = time.perf_counter()
        lab = fn(labels)
        q = fn(queries)
        sims = q @ lab.T
        rank = (sims > sims[np.arange(len(gold)), gold][:, None]).sum(axis=1)  # 0 = first
        out[name] = {"R@1": float((rank == 0).mean()),
                     "MRR@10": float(np.where(rank < 10, 1.0 / (rank + 1), 0.0).mean()),
                     "seconds": time.perf_counter() - t}
    return out


def run(n: int = 256, quality_n: int = 300, distill: bool = False) -> dict[str, Any]:
    import torch

    from matcher.encoder import (
        PACKAGED,
        OnnxEncoder,
        SentenceEncoder,
        default_cache_dir,
        get_encoder,
        is_model2vec_dir,
    )
    from matcher.profile_vectors import profile_vectors

    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    texts, rows, tax, _ = _texts(n)
    enc = SentenceEncoder(bulk="off")
    enc.warm_up()
    model = enc._model
    assert model is not None
    words = float(np.mean([len(t.split()) for t in texts]))
    tokens = float(np.mean([len(x) for x in model.tokenizer(texts)["input_ids"]]))

    def st(xs: list[str]) -> np.ndarray:
        return model.encode(xs, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)

    fns: dict[str, Callable[[list[str]], np.ndarray]] = {"fp32": st}
    notes: dict[str, str] = {}
    work = common.BENCH_DIR / "encode" / "onnx"
    work.mkdir(parents=True, exist_ok=True)
    try:
        files, notes["onnx"] = _onnx_files(work)
        for name, path in files.items():
            fns[name] = OnnxEncoder(path, tokenizer_dir=files["onnx-fp32"].parent,
                                    threads=threads).encode
    except ImportError as e:
        notes["onnx"] = f"skipped: {e}"
    bulk = SentenceEncoder()  # what the system uses for >= 64 texts
    b = bulk.bulk_encoder()
    notes["bulk path"] = b.name if b is not None else "torch fp32 (no approved ONNX export)"
    fns["bulk path"] = bulk.encode
    m2v_dir = default_cache_dir() / "model2vec" / "all-MiniLM-L6-v2-pca256"
    if not is_model2vec_dir(m2v_dir) and distill:
        from training.distill import distill as run_distill

        m2v_dir = run_distill(PACKAGED, pca_dims=256, out_dir=m2v_dir)
    m2v = None
    if is_model2vec_dir(m2v_dir):
        m2v = get_encoder(str(m2v_dir))
        fns["model2vec"] = m2v.encode
        notes["model2vec"] = str(m2v_dir)
    else:
        notes["model2vec"] = f"skipped: not distilled ({m2v_dir}); run with --distill"

    best: dict[str, float] = {}
    vecs: dict[str, np.ndarray] = {}
    for fn in fns.values():
        fn(texts[:16])  # warm up
    for _ in range(ROUNDS):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            vecs[name] = fn(texts)
            best[name] = max(best.get(name, 0.0), n / (time.perf_counter() - t0))
    base = vecs["fp32"]
    variants: dict[str, dict[str, Any]] = {}
    for name in fns:
        row: dict[str, Any] = {"texts_per_s": best[name], "speedup": best[name] / best["fp32"]}
        if vecs[name].shape[1] == base.shape[1]:
            cos = (vecs[name] * base).sum(axis=1)
            row.update(cosine_min=float(cos.min()), cosine_mean=float(cos.mean()))
        variants[name] = row

    space = common.label_space(tax, get_encoder())
    profiles = [(r["experience"], r["skills"]) for r in rows]
    t0 = time.perf_counter()
    for _ in range(20):
        pv = profile_vectors(profiles, space)
    rate = 20 * n / (time.perf_counter() - t0)
    cos = (pv * base).sum(axis=1)
    variants["profile-vectors"] = {"texts_per_s": rate, "speedup": rate / best["fp32"],
                                   "cosine_min": float(cos.min()),
                                   "cosine_mean": float(cos.mean())}
    quality = {}
    if quality_n > 0:
        qfns = {k: fns[k] for k in ("fp32", "onnx-int8", "model2vec") if k in fns}
        quality = _alt_label_quality(tax, qfns, quality_n)
    return {"texts": n, "mean_words": words, "mean_tokens": tokens, "threads": threads,
            "torch_threads": torch.get_num_threads(), "load_average": os.getloadavg(),
            "variants": variants, "quality_alt_label_to_occupation": quality, "notes": notes}


def table(res: dict[str, Any]) -> str:
    """The result as a markdown table."""
    q = res.get("quality_alt_label_to_occupation", {})
    base_q = q.get("fp32")
    lines = [f"encode: {res['texts']} texts, {res['mean_words']:.0f} words / "
             f"{res['mean_tokens']:.0f} tokens on average, {res['threads']} threads, "
             f"load average {res['load_average'][0]:.1f}",
             "| variant | texts/s | ratio to fp32 | cosine min / mean | alt label → occupation "
             "R@1 / MRR@10 (Δ MRR vs fp32) |", "|---|---|---|---|---|"]
    for name, v in res["variants"].items():
        cos = (f"{v['cosine_min']:.3f} / {v['cosine_mean']:.3f}" if "cosine_min" in v
               else "n/a (own space)")
        qual = ""
        if name in q and base_q:
            qual = (f"{q[name]['R@1']:.3f} / {q[name]['MRR@10']:.3f} "
                    f"({q[name]['MRR@10'] - base_q['MRR@10']:+.3f})")
        label = name + (" (baseline)" if name == "fp32" else "")
        lines.append(f"| {label} | {v['texts_per_s']:,.1f} | {v['speedup']:.2f}× | {cos} | "
                     f"{qual} |")
    for k, v in res["notes"].items():
        lines.append(f"- {k}: {v}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=256)
    ap.add_argument("--quality", type=int, default=300,
                    help="alt labels for the quality check (0: skip)")
    ap.add_argument("--distill", action="store_true",
                    help="distil the model2vec model first if it is missing (~5 min)")
    args = ap.parse_args(argv)
    if args.texts < 16:
        ap.error("--texts must be at least 16")
    res = run(args.texts, args.quality, args.distill)
    print(table(res), flush=True)
    common.emit("encode", res)


if __name__ == "__main__":
    main()
