"""Distil the active encoder into a static model2vec model (token embeddings, no transformer).

    python -m training.distill [MODEL_REF] [--pca-dims 256] [--out DIR]

A model2vec model is a table of one vector per vocabulary token, taken from the transformer
(each token encoded alone, then PCA and SIF/Zipf weighting); a text's vector is the mean of its
tokens' vectors. Thousands of texts/s on one core, but it lives in its *own* vector space
(``pca_dims`` dimensions): its vectors cannot be mixed with the transformer's in one index. Use
it for a whole index built with it, or as a cheap pre-filter (e.g. occupation inference over
~3,000 ESCO occupations), never next to MiniLM vectors.

Where it goes: ``<artefact>/model2vec-pca<dims>/`` for a trained model under ``var/models/``,
``<cache_dir>/model2vec/<name>-pca<dims>/`` for the packaged MiniLM. Load it with
``matcher.encoder.get_encoder(PATH)`` (the directory is recognised) or the ``--model PATH``
option of ``shetu eval``. Needs the optional packages ``model2vec`` and ``skeletoken`` (the
``onnx`` extra); distillation runs offline from the local model directory.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from matcher.encoder import PACKAGED, packaged_model_path


def model_dir_of(model_ref: str) -> Path:
    """The local directory of a model reference (``packaged:…`` or a path)."""
    return packaged_model_path() if model_ref == PACKAGED else Path(model_ref)


def default_out_dir(model_ref: str, pca_dims: int, cache_dir: Path) -> Path:
    """Where the distilled model of ``model_ref`` is written by default."""
    if model_ref == PACKAGED:
        return cache_dir / "model2vec" / f"all-MiniLM-L6-v2-pca{pca_dims}"
    d = Path(model_ref)
    # var/models/<artefact>/model -> var/models/<artefact>/model2vec-pca256
    parent = d.parent if d.name == "model" else d
    return parent / f"model2vec-pca{pca_dims}"


def distill(model_ref: str = PACKAGED, *, pca_dims: int = 256, out_dir: Path | None = None,
            cache_dir: Path | None = None) -> Path:
    """Distil ``model_ref`` with ``model2vec.distill.distill``; save it; return its directory."""
    if pca_dims < 2:
        raise ValueError(f"pca_dims must be at least 2 (got {pca_dims})")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from model2vec.distill import distill as m2v_distill
    except ImportError as e:  # pragma: no cover - depends on the installed extras
        raise RuntimeError("model2vec distillation needs the packages 'model2vec' and "
                           "'skeletoken': pip install -e '.[onnx]'") from e
    src = model_dir_of(model_ref)
    if not src.is_dir():
        raise FileNotFoundError(f"model: no model directory at {src}")
    if out_dir is None:
        from registry.config import get_settings

        out_dir = default_out_dir(model_ref, pca_dims, cache_dir or get_settings().cache_dir)
    t0 = time.perf_counter()
    model = m2v_distill(model_name=str(src), pca_dims=pca_dims, device="cpu")
    seconds = time.perf_counter() - t0
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    (out_dir / "shetu_distill.json").write_text(json.dumps({
        "source": model_ref, "source_dir": str(src), "pca_dims": pca_dims,
        "seconds": round(seconds, 1), "dim": int(model.dim)}, indent=1))
    return out_dir


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("model", nargs="?", default=PACKAGED)
    ap.add_argument("--pca-dims", type=int, default=256)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    out = distill(a.model, pca_dims=a.pca_dims, out_dir=a.out)
    info: dict[str, Any] = json.loads((out / "shetu_distill.json").read_text())
    print(json.dumps({"out": str(out), **info}, indent=1), file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
