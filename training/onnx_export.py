"""Export an encoder to ONNX, quantise it to int8, and approve it for bulk encoding if faithful.

    python -m training.onnx_export [MODEL_REF] [--texts 300] [--threads 2]
    shetu models export-onnx [NAME|packaged]

Steps (about a minute for MiniLM on 2 cores, plus the measurement):

1. export the transformer with eager attention (the SDPA graph of recent ``transformers`` hides
   the attention pattern from the fusion pass) to ONNX fp32;
2. fuse it with ``onnxruntime.transformers.optimizer`` (BERT: EmbedLayerNormalization,
   Attention, SkipLayerNormalization, BiasGelu) → ``model.onnx``;
3. quantise the fused graph's MatMul weights dynamically to int8 → ``model_int8.onnx``. Weights
   are *unsigned* (U8U8) per channel: with signed weights (U8S8) MLAS's AVX2 kernel without
   VNNI sums u8·s8 pairs into int16, which can saturate; U8U8 kept cosine min 0.992 against
   0.990 for U8S8 and 0.988 for per-tensor U8S8. The fused Attention ops (QKV projection) stay
   fp32: quantising them too lowered cosine min to 0.987 for no measurable speed.
4. measure on real texts — ESCO occupation labels, label + description (~40 words), and
   profile-like texts (occupation + its essential skills, ~40 words) — the texts/s of plain
   sentence-transformers fp32 and of each ONNX file (same process, same thread count, best of
   two interleaved rounds), and each text's cosine to the fp32 embedding.

``report.json`` records the figures and ``bulk_variant`` (:func:`choose_bulk`): int8 if it kept
cosine ≥ :data:`MIN_COSINE` on *every* text and was at least as fast as torch, else fp32 ONNX if
at least as fast, else ``None``. On this 2-core AVX2 machine (no VNNI) int8 GEMM costs about
what fp32 does (per CPU-second: 16.6 vs 16.1 texts, torch 16.5), so the choice follows noise.
``matcher.encoder.SentenceEncoder`` uses that file for calls of ≥ 64 texts. Output:
``<artefact>/onnx/`` for ``var/models/<artefact>/model``, ``<cache_dir>/onnx/all-MiniLM-L6-v2/``
for the packaged model. Needs the optional packages ``onnx`` and ``onnxruntime``
(``pip install -e '.[onnx]'``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from matcher.encoder import (
    MIN_COSINE,
    PACKAGED,
    OnnxEncoder,
    max_seq_length,
    model_dir,
    onnx_dir_for,
    weights_fingerprint,
)

__all__ = ["MIN_COSINE", "OnnxEncoder", "benchmark", "export", "export_and_measure",
           "measure", "texts_for_check"]

VARIANTS = {"fp32": "model.onnx", "int8": "model_int8.onnx"}


def export_bert(model: Any, tok: Any, sample: Any, output: str, fp32: Path, int8: Path
                ) -> dict[str, Path]:
    """Export a BERT ``model`` (eager attention) to ONNX, fuse it with ONNX Runtime's BERT
    optimiser (attention, skip-layer-norm, GELU) into ``fp32``, and quantise its MatMul weights
    to int8 per channel into ``int8``. ``output`` names the model output kept (e.g. ``logits``
    or ``last_hidden_state``); ``sample`` is a tokenised batch the trace runs on."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    names = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in sample]

    class Wrapped(torch.nn.Module):
        def __init__(self, m: Any) -> None:
            super().__init__()
            self.m = m

        def forward(self, *args: Any) -> Any:
            return getattr(self.m(**dict(zip(names, args, strict=True))), output)

    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        with torch.no_grad():
            torch.onnx.export(Wrapped(model), tuple(sample[k] for k in names), str(raw),
                              input_names=names, output_names=[output],
                              dynamic_axes={**{k: {0: "batch", 1: "seq"} for k in names},
                                            output: {0: "batch", 1: "seq"}
                                            if output == "last_hidden_state"
                                            else {0: "batch"}},
                              opset_version=17, dynamo=False)
        fused = optimize_model(str(raw), model_type="bert",
                               num_heads=model.config.num_attention_heads,
                               hidden_size=model.config.hidden_size, opt_level=1)
        fused.save_model_to_file(str(fp32))
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QUInt8, per_channel=True,
                     op_types_to_quantize=["MatMul"],
                     extra_options={"DefaultTensorType": 1})  # 1 = FLOAT, for fused ops
    tok.save_pretrained(str(fp32.parent))
    return {"fp32": fp32, "int8": int8}


def export(src_dir: Path, out_dir: Path) -> dict[str, Path]:
    """Export ``src_dir`` to fused ONNX fp32 and int8 in ``out_dir``; return the files by name."""
    from transformers import AutoModel, AutoTokenizer

    out_dir.mkdir(parents=True, exist_ok=True)
    tok = AutoTokenizer.from_pretrained(str(src_dir))
    model = AutoModel.from_pretrained(str(src_dir), attn_implementation="eager").eval()
    sample = tok(["a bricklayer", "a welder with five years of pipe work"], padding=True,
                 return_tensors="pt")
    files = export_bert(model, tok, sample, "last_hidden_state", out_dir / VARIANTS["fp32"],
                        out_dir / VARIANTS["int8"])
    for f in ("sentence_bert_config.json",):
        if (src_dir / f).is_file():
            shutil.copy(src_dir / f, out_dir / f)
    return files


def texts_for_check(n: int, esco_dir: Path | None = None,
                    cache_dir: Path | None = None) -> list[str]:
    """``n`` real texts from ESCO: labels, label + description, occupation + skills (thirds)."""
    from matcher.taxonomy import load_taxonomy

    if esco_dir is None:
        from registry.config import get_settings

        s = get_settings()
        esco_dir, cache_dir = s.esco_dir, s.cache_dir
    tax = load_taxonomy(esco_dir, cache_dir)
    occ = sorted(tax.occupations.values(), key=lambda o: o.uri)
    k = max(1, n // 3)
    step = max(1, len(occ) // k)
    picked = occ[::step][:k]
    out = [o.label for o in picked]
    out += [f"{o.label}. {' '.join(o.description.split()[:40])}" for o in picked]
    for o in picked:
        skills = [tax.skill_label(u) for u in tax.essential.get(o.uri, ())]
        out.append(" ".join(f"{o.label}, 3 years. skills: {', '.join(skills)}".split()[:40]))
    return out[:n]


def measure(model_ref: str, files: dict[str, Path], texts: list[str], threads: int,
            rounds: int = 2) -> dict[str, Any]:
    """Texts/s and cosine to sentence-transformers fp32 for each ONNX file (same process)."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    st = SentenceTransformer(str(model_dir(model_ref)), device="cpu")

    def st_encode(xs: list[str]) -> np.ndarray:
        return st.encode(xs, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)

    encs: dict[str, Any] = {"torch": st_encode}
    for tag, path in files.items():
        encs[tag] = OnnxEncoder(path, threads=threads,
                                max_length=max_seq_length(model_ref)).encode
    best: dict[str, float] = {}
    vecs: dict[str, np.ndarray] = {}
    for fn in encs.values():
        fn(texts[:16])  # warm-up
    for _ in range(rounds):
        for tag, fn in encs.items():
            t = time.perf_counter()
            vecs[tag] = fn(texts)
            best[tag] = max(best.get(tag, 0.0), len(texts) / (time.perf_counter() - t))
    ref = vecs["torch"]
    out: dict[str, Any] = {"torch_fp32_texts_per_s": round(best["torch"], 2), "variants": {}}
    for tag, path in files.items():
        cos = (vecs[tag] * ref).sum(axis=1)
        out["variants"][tag] = {
            "file": path.name, "texts_per_s": round(best[tag], 2),
            "speedup": round(best[tag] / best["torch"], 2),
            "cosine_min": round(float(cos.min()), 4), "cosine_mean": round(float(cos.mean()), 4)}
    return out


def choose_bulk(variants: dict[str, dict[str, Any]]) -> str | None:
    """int8 if it kept cosine >= MIN_COSINE on every text and was not slower than torch, else
    fp32 ONNX on the same speed condition, else None (bulk stays on torch)."""
    for name in ("int8", "fp32"):
        v = variants.get(name)
        if v and v["cosine_min"] >= MIN_COSINE and v["speedup"] >= 1.0:
            return name
    return None


def export_and_measure(model_ref: str = PACKAGED, n_texts: int = 300, threads: int | None = None,
                       out_dir: Path | None = None, esco_dir: Path | None = None,
                       cache_dir: Path | None = None) -> dict[str, Any]:
    """Export, measure, choose the bulk variant; write and return ``report.json``."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    threads = threads or (os.cpu_count() or 1)
    src = model_dir(model_ref)
    if not src.is_dir():
        raise FileNotFoundError(f"model: no model directory at {src}")
    if out_dir is None:
        if cache_dir is None and model_ref == PACKAGED:
            from registry.config import get_settings

            cache_dir = get_settings().cache_dir
        out_dir = onnx_dir_for(model_ref, cache_dir)
    (out_dir / "report.json").unlink(missing_ok=True)  # never leave a stale approval behind
    t0 = time.perf_counter()
    files = export(src, out_dir)
    export_s = time.perf_counter() - t0
    texts = texts_for_check(n_texts, esco_dir, cache_dir)
    report: dict[str, Any] = {
        "model": model_ref, "weights": weights_fingerprint(model_ref), "texts": len(texts),
        "text_kinds": "ESCO occupation label / label + description / occupation + skills",
        "threads": threads, "export_s": round(export_s, 1),
        "load_average": round(os.getloadavg()[0], 2)}
    report.update(measure(model_ref, files, texts, threads))
    report["bulk_variant"] = choose_bulk(report["variants"])
    report["min_cosine_rule"] = MIN_COSINE
    (out_dir / "report.json").write_text(json.dumps(report, indent=1))
    return report


benchmark = export_and_measure  # the earlier name


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("model", nargs="?", default=PACKAGED)
    ap.add_argument("--texts", type=int, default=300)
    ap.add_argument("--threads", type=int, default=None, help="default: all cores")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    if a.texts < 3:
        ap.error("--texts must be at least 3")
    report = export_and_measure(a.model, a.texts, a.threads, a.out)
    print(json.dumps(report, indent=1), file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
