"""matcher.models: the one owner of var/models pointers — written, read back, and honoured."""

from __future__ import annotations

import json

from matcher.models import (
    active_encoder,
    active_name,
    active_weights,
    list_models,
    resolve,
    with_active_encoder,
    write_pointer,
)
from registry.config import Settings


def _artefact(var, name, kind, created, **files):
    d = var / "models" / name
    d.mkdir(parents=True)
    (d / "meta.json").write_text(json.dumps({"kind": kind, "created": created,
                                             "summary": {"note": name}}))
    for fname, text in files.items():
        (d / fname).write_text(text)
    return d


def test_pointers_round_trip_and_mark_the_active_artefacts(tmp_path):
    enc = _artefact(tmp_path, "enc-1", "encoder", "2025-01-02")
    (enc / "model").mkdir()
    weights = {"keyword": 0.1, "embedding": 0.2, "skills": 0.4, "occupation": 0.2,
               "experience": 0.1}
    _artefact(tmp_path, "rr-1", "reranker", "2025-01-03",
              **{"weights.json": json.dumps({"weights": weights})})
    assert active_name(tmp_path) is None and active_weights(tmp_path) is None
    write_pointer(tmp_path, "encoder", "enc-1")
    write_pointer(tmp_path, "reranker", "rr-1")
    assert active_name(tmp_path, "encoder") == "enc-1"
    assert active_name(tmp_path, "reranker") == "rr-1"
    assert [(i.name, i.active) for i in list_models(tmp_path)] == [("rr-1", True),
                                                                   ("enc-1", True)]
    assert resolve(tmp_path, "enc-1").encoder_ref == str(enc / "model")
    assert active_encoder(tmp_path) == str(enc / "model")
    assert active_weights(tmp_path) == weights
    write_pointer(tmp_path, "reranker", None)
    assert active_name(tmp_path, "reranker") is None and active_weights(tmp_path) is None
    assert not list(tmp_path.glob("models/.*.tmp"))  # atomic writes leave no temp file


def test_a_pointer_to_a_broken_artefact_counts_as_none(tmp_path):
    _artefact(tmp_path, "rr-bad", "reranker", "2025-01-01", **{"weights.json": "{not json"})
    write_pointer(tmp_path, "reranker", "rr-bad")
    assert active_weights(tmp_path) is None
    write_pointer(tmp_path, "encoder", "missing")  # no model/ directory
    assert active_encoder(tmp_path) is None


def test_settings_read_no_file_and_an_explicit_model_wins(tmp_path, monkeypatch):
    enc = _artefact(tmp_path, "enc-1", "encoder", "2025-01-02")
    (enc / "model").mkdir()
    write_pointer(tmp_path, "encoder", "enc-1")
    monkeypatch.delenv("SHETU_MODEL", raising=False)
    plain = Settings(env="test", var_dir=tmp_path)
    assert plain.model == "packaged:all-MiniLM-L6-v2"
    assert with_active_encoder(plain).model == str(enc / "model")
    monkeypatch.setenv("SHETU_MODEL", "hashing")
    assert with_active_encoder(Settings(env="test", var_dir=tmp_path)).model == "hashing"
    assert with_active_encoder(Settings(env="test", var_dir=tmp_path / "none")).model == "hashing"
