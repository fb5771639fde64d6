"""Export an encoder to ONNX, quantise it to int8, and keep it only if it stays faithful.

    python -m training.onnx_export [MODEL_REF] [--texts 1000]

Writes ``<model dir>/onnx/model.onnx`` (fp32) and ``model_int8.onnx`` (dynamic int8
quantisation of the linear layers, ONNX Runtime), then measures on ESCO occupation labels and
descriptions: texts/s of torch fp32 vs ONNX int8 (same process, same threads) and the cosine
between the two embeddings of each text. ``report.json`` says whether the int8 model may be
used for bulk encoding: every text must keep cosine ≥ :data:`MIN_COSINE` to the original.
Needs the optional packages ``onnx`` and ``onnxruntime``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from matcher.encoder import PACKAGED, packaged_model_path

MIN_COSINE = 0.98


class OnnxEncoder:
    """Mean-pooled, L2-normalised sentence embeddings from an exported ONNX model."""

    def __init__(self, onnx_path: Path, tokenizer_dir: Path, threads: int | None = None,
                 max_length: int = 256) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(onnx_path), opts,
                                            providers=["CPUExecutionProvider"])
        self.tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
        self.max_length = max_length
        self.name = f"onnx:{onnx_path}"
        self.dim = 384

    def encode(self, texts: list[str], *, batch_size: int = 64,
               show_progress: bool = False) -> np.ndarray:  # noqa: ARG002
        """Encode texts to unit vectors (same contract as ``matcher.encoder.TextEncoder``)."""
        out = []
        for s in range(0, len(texts), batch_size):
            tok = self.tokenizer(list(texts[s:s + batch_size]), padding=True, truncation=True,
                                 max_length=self.max_length, return_tensors="np")
            feeds = {k: tok[k].astype(np.int64) for k in ("input_ids", "attention_mask",
                                                          "token_type_ids") if k in tok}
            hidden = self.session.run(None, feeds)[0]
            mask = tok["attention_mask"][..., None].astype(np.float32)
            v = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            out.append(v / np.linalg.norm(v, axis=1, keepdims=True))
        return np.vstack(out).astype(np.float32) if out else np.zeros((0, self.dim), np.float32)


def export(model_dir: Path, out_dir: Path) -> tuple[Path, Path]:
    """Export the transformer of ``model_dir`` to ONNX fp32 and int8; return both paths."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel, AutoTokenizer

    out_dir.mkdir(parents=True, exist_ok=True)
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModel.from_pretrained(str(model_dir)).eval()
    sample = tok(["a bricklayer", "a welder with five years of pipe work"], padding=True,
                 return_tensors="pt")
    names = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in sample]
    fp32 = out_dir / "model.onnx"

    class Wrapped(torch.nn.Module):
        def __init__(self, m: Any) -> None:
            super().__init__()
            self.m = m

        def forward(self, *args: Any) -> Any:
            return self.m(**dict(zip(names, args, strict=True))).last_hidden_state

    with torch.no_grad():
        torch.onnx.export(Wrapped(model), tuple(sample[k] for k in names), str(fp32),
                          input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes={k: {0: "batch", 1: "seq"} for k in
                                        [*names, "last_hidden_state"]},
                          opset_version=17, dynamo=False)
    int8 = out_dir / "model_int8.onnx"
    # Per-channel weights: per-tensor int8 kept only cosine ~0.96 to fp32 on ESCO texts.
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul"])
    tok.save_pretrained(str(out_dir))
    return fp32, int8


def benchmark(model_ref: str = PACKAGED, n_texts: int = 1000, threads: int = 1,
              out_dir: Path | None = None) -> dict[str, Any]:
    """Export, then compare torch fp32 with ONNX int8 on ESCO texts; write ``report.json``."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    from matcher.taxonomy import load_taxonomy
    from registry.config import get_settings

    torch.set_num_threads(threads)
    model_dir = packaged_model_path() if model_ref == PACKAGED else Path(model_ref)
    out_dir = out_dir or (get_settings().var_dir / "models" / "onnx" /
                          (model_dir.parent.name if model_ref != PACKAGED else "packaged"))
    fp32, int8 = export(model_dir, out_dir)
    s = get_settings()
    tax = load_taxonomy(s.esco_dir, s.cache_dir)
    occ = list(tax.occupations.values())
    texts = [o.label for o in occ[: n_texts // 2]] + \
        [f"{o.label}. {' '.join(o.description.split()[:40])}" for o in occ[: n_texts // 2]]
    st = SentenceTransformer(str(model_dir), device="cpu")
    report: dict[str, Any] = {"model": model_ref, "texts": len(texts), "threads": threads}
    t = time.perf_counter()
    ref = st.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    report["torch_fp32_texts_per_s"] = round(len(texts) / (time.perf_counter() - t), 1)
    for tag, path in (("onnx_fp32", fp32), ("onnx_int8", int8)):
        enc = OnnxEncoder(path, out_dir, threads=threads)
        enc.encode(texts[:64])  # warm-up
        t = time.perf_counter()
        got = enc.encode(texts)
        report[f"{tag}_texts_per_s"] = round(len(texts) / (time.perf_counter() - t), 1)
        cos = (got * ref).sum(axis=1)
        report[f"{tag}_cosine_min"] = round(float(cos.min()), 4)
        report[f"{tag}_cosine_mean"] = round(float(cos.mean()), 4)
    report["int8_speedup"] = round(report["onnx_int8_texts_per_s"] /
                                   report["torch_fp32_texts_per_s"], 2)
    report["int8_usable_for_bulk"] = report["onnx_int8_cosine_min"] >= MIN_COSINE
    (out_dir / "report.json").write_text(json.dumps(report, indent=1))
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("model", nargs="?", default=PACKAGED)
    ap.add_argument("--texts", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    print(json.dumps(benchmark(a.model, a.texts, a.threads), indent=1), file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
