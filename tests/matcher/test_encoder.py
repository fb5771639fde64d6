"""Encoder selection: bulk ONNX path approval, fallbacks, model2vec directories."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import numpy as np
import pytest

from matcher.encoder import (
    BULK_MIN_TEXTS,
    PACKAGED,
    SentenceEncoder,
    get_encoder,
    is_model2vec_dir,
    onnx_dir_for,
    weights_fingerprint,
)


def test_export_locations(tmp_path: Path) -> None:
    art = tmp_path / "var" / "models" / "minilm-shetu-20250101" / "model"
    assert onnx_dir_for(str(art)) == art.parent / "onnx"
    assert onnx_dir_for(PACKAGED, tmp_path / "cache") == \
        tmp_path / "cache" / "onnx" / "all-MiniLM-L6-v2"


def test_bad_bulk_setting_names_the_field() -> None:
    with pytest.raises(ValueError, match="bulk"):
        SentenceEncoder(PACKAGED, bulk="sometimes")


def test_no_export_means_torch(tmp_path: Path) -> None:
    assert SentenceEncoder(PACKAGED, onnx_dir=tmp_path).bulk_encoder() is None
    assert SentenceEncoder(PACKAGED, onnx_dir=tmp_path, bulk="off").bulk_encoder() is None


@pytest.mark.slow
def test_missing_onnxruntime_falls_back_to_torch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "model_int8.onnx").write_bytes(b"")
    (tmp_path / "report.json").write_text(json.dumps({
        "bulk_variant": "int8", "weights": weights_fingerprint(PACKAGED),
        "variants": {"int8": {"file": "model_int8.onnx", "cosine_min": 0.99}}}))
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime -> ImportError
    enc = SentenceEncoder(PACKAGED, onnx_dir=tmp_path)
    texts = [f"welder with {i} years of pipe work" for i in range(BULK_MIN_TEXTS)]
    with caplog.at_level(logging.WARNING, logger="matcher.encoder"):
        got = enc.encode(texts)
    assert "onnxruntime is not installed" in caplog.text
    assert got.shape == (BULK_MIN_TEXTS, 384)
    assert np.allclose(got, enc.encode_fp32(texts), atol=1e-5)


def test_model2vec_directory_is_recognised(tmp_path: Path) -> None:
    assert not is_model2vec_dir(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    assert not is_model2vec_dir(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "model2vec",
                                                      "hidden_dim": 16}))
    assert is_model2vec_dir(tmp_path)
    enc = get_encoder(str(tmp_path))
    assert enc.name.startswith("model2vec:") and enc.dim == 16
