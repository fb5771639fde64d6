"""ONNX export: fused fp32 + int8 of the real packaged MiniLM, faithful on real ESCO texts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from support import make_settings

from matcher.encoder import PACKAGED, SentenceEncoder, weights_fingerprint

pytest.importorskip("onnxruntime")

from training.onnx_export import MIN_COSINE, choose_bulk, export_and_measure  # noqa: E402


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """Export + quantise the packaged model once (~40 s), measured on 12 real ESCO texts."""
    out = tmp_path_factory.mktemp("onnx")
    s = make_settings(out)
    report = export_and_measure(PACKAGED, n_texts=12, threads=2, out_dir=out,
                                esco_dir=s.esco_dir, cache_dir=s.cache_dir)
    return out, report


@pytest.mark.slow
def test_export_is_faithful_on_real_texts(exported: tuple[Path, dict]) -> None:
    out, report = exported
    assert (out / "model.onnx").is_file() and (out / "model_int8.onnx").is_file()
    # int8 must be smaller on disk than fp32 (the weights are actually quantised)
    assert (out / "model_int8.onnx").stat().st_size < 0.75 * (out / "model.onnx").stat().st_size
    assert report["texts"] == 12
    assert report["variants"]["fp32"]["cosine_min"] >= 0.999
    assert report["variants"]["int8"]["cosine_min"] >= MIN_COSINE
    assert report["weights"] == weights_fingerprint(PACKAGED)
    saved = json.loads((out / "report.json").read_text())
    assert saved["bulk_variant"] == choose_bulk(saved["variants"])


@pytest.mark.slow
def test_bulk_path_uses_int8_and_matches_fp32(exported: tuple[Path, dict],
                                              taxonomy) -> None:
    out, _ = exported
    report = json.loads((out / "report.json").read_text())
    report["bulk_variant"] = "int8"  # as on a machine where int8 measured faster than torch
    (out / "report.json").write_text(json.dumps(report))
    enc = SentenceEncoder(PACKAGED, onnx_dir=out)
    occ = sorted(taxonomy.occupations.values(), key=lambda o: o.uri)[::40][:70]
    texts = [f"{o.label}. {' '.join(o.description.split()[:40])}" for o in occ]
    bulk = enc.bulk_encoder()
    assert bulk is not None and bulk.name.endswith("model_int8.onnx")
    got = enc.encode(texts)
    ref = enc.encode_fp32(texts)
    assert got.shape == ref.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4)
    cos = (got * ref).sum(axis=1)
    assert cos.min() >= MIN_COSINE
    assert not np.array_equal(got, ref)  # it really went through the int8 model
    # a query-sized call stays on fp32 exactly
    assert np.allclose(enc.encode(texts[:3]), ref[:3], atol=1e-5)


@pytest.mark.slow
def test_export_for_other_weights_is_not_used(exported: tuple[Path, dict]) -> None:
    out, _ = exported
    report = json.loads((out / "report.json").read_text())
    report.update(bulk_variant="int8", weights="0" * 16)
    other = out.parent / (out.name + "-stale")
    other.mkdir(exist_ok=True)
    for f in out.iterdir():
        (other / f.name).write_bytes(f.read_bytes())
    (other / "report.json").write_text(json.dumps(report))
    assert SentenceEncoder(PACKAGED, onnx_dir=other).bulk_encoder() is None


def test_bulk_choice_needs_cosine_on_every_text_and_speed() -> None:
    fast_faithful = {"cosine_min": 0.99, "speedup": 1.4}
    assert choose_bulk({"fp32": {"cosine_min": 1.0, "speedup": 1.1},
                        "int8": fast_faithful}) == "int8"
    # one text under the bar disqualifies int8; the exact fp32 export is used instead
    assert choose_bulk({"fp32": {"cosine_min": 1.0, "speedup": 1.1},
                        "int8": {"cosine_min": 0.979, "speedup": 2.0}}) == "fp32"
    # nothing faster than torch: bulk stays on torch
    assert choose_bulk({"fp32": {"cosine_min": 1.0, "speedup": 0.9},
                        "int8": {"cosine_min": 0.99, "speedup": 0.95}}) is None
