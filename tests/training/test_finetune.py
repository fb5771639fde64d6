"""Encoder fine-tuning: a tiny real run lowers the loss and saves an artefact that ranks."""

from __future__ import annotations

import json

import numpy as np
import pytest
from support import make_settings

from matcher.encoder import PACKAGED, SentenceEncoder
from matcher.models import list_models
from training.finetune import finetune


@pytest.mark.slow
def test_a_short_run_lowers_the_loss_and_the_artefact_loads_and_ranks(tmp_path):
    settings = make_settings(tmp_path, model=PACKAGED)
    out = finetune(settings, max_steps=20, max_minutes=4, batch_size=12, max_examples=400,
                   warmup_steps=3, eval_tasks=[], dev_queries=0, threads=1,
                   log=lambda _m: None)
    metrics = json.loads((out / "metrics.json").read_text())
    tr = metrics["training"]
    assert tr["steps"] == 20
    assert tr["probe_loss_after"] < tr["probe_loss_before"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["data"]["train"] == 400 and manifest["git"]["commit"]
    assert (out / "train.jsonl.gz").exists()

    enc = SentenceEncoder(str(out / "model"))
    labels = ["bricklayer", "accountant", "nurse", "truck driver"]
    q = enc.encode(["brick layer", "lorry driver"])
    best = np.argmax(q @ enc.encode(labels).T, axis=1)
    assert [labels[i] for i in best] == ["bricklayer", "truck driver"]
    infos = list_models(tmp_path)
    assert [i.name for i in infos] == [out.name] and infos[0].kind == "encoder"
