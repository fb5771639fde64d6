"""Cross-encoder second stage: training data from the first stage's confusions, the dev
choice of k and alpha, the ONNX export against torch, and the pointer that switches it on."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from support import (  # the six toy occupations shared by the ranker tests
    CONCEPTS,
    OCC,
    make_settings,
)

from matcher.encoder import HashingEncoder
from matcher.normalise import ConceptRanker
from training.cross_encoder import NEGATIVES, Group, mine, training_pairs
from training.cross_encoder_eval import mrr_at_10
from training.examples import Example


@pytest.fixture
def ranker(tmp_path: Path) -> ConceptRanker:
    return ConceptRanker("occupations", CONCEPTS, HashingEncoder(), cache_dir=tmp_path,
                         show_progress=False)


def test_an_alternative_label_is_mined_with_its_own_label_left_out(ranker) -> None:
    alt = Example("tile setter", "tile fitter", "bricklayer", OCC + "tile", "esco-alt")
    title = Example("tile setter", "tile fitter", "bricklayer", OCC + "tile", "onet-title")
    [g_alt, g_title] = mine(ranker, [alt, title], top=6)
    assert g_alt.pos == g_title.pos == 0
    # an O*NET title is no ESCO label: the exact label match counts; the alt label does not
    assert g_title.top[0] == 0 and g_title.top_scores[0] > g_alt.top_scores[g_alt.top.index(0)]


def test_each_anchor_gives_one_positive_and_hard_negatives_from_the_first_stage() -> None:
    docs = [f"doc {i}" for i in range(40)]
    groups = [Group("q1", 3, list(range(30)), [1.0 - i / 30 for i in range(30)], "esco-alt"),
              Group("q2", 35, list(range(30)), [1.0 - i / 30 for i in range(30)], "onet-title")]
    sibling = {id(groups[0]): 33, id(groups[1]): None}
    rows = training_pairs(groups, docs, sibling, random.Random(0))
    assert len(rows) == 2 * (1 + NEGATIVES)
    for g, chunk in zip(groups, (rows[:4], rows[4:]), strict=True):
        assert chunk[0] == (g.query, docs[g.pos], 1.0)
        negs = [docs.index(d) for _, d, y in chunk[1:] if y == 0.0]
        assert len(negs) == NEGATIVES and g.pos not in negs and len(set(negs)) == NEGATIVES
        assert sum(1 for n in negs if n in g.top[:10]) >= NEGATIVES - 1  # first-stage confusions
    assert 33 in [docs.index(d) for _, d, _ in rows[1:4]]  # and the dataset's ISCO sibling


def test_dev_mrr_follows_the_fusion_that_serving_applies() -> None:
    top = 50
    g = {"query": "tiler", "pos": 7, "top": [5, 6, 7] + list(range(100, 147)),
         "top_scores": [0.9, 0.8, 0.7] + [0.5] * 47}
    probs = np.zeros(top)
    probs[2] = 1.0  # the cross-encoder puts the positive first
    assert mrr_at_10([g], None, 0, 0.0) == pytest.approx(1 / 3)
    assert mrr_at_10([g], probs, 20, 1.0) == pytest.approx(1.0)
    assert mrr_at_10([g], probs, 20, 0.25) == pytest.approx(1.0)  # 0.775 > 0.675
    long = dict(g, query="I worked as a tiler in Dubai for five years laying marble floors "
                "and walls in hotels")
    assert mrr_at_10([long], probs, 20, 1.0) == pytest.approx(1 / 3)  # not a title: untouched


# -- the real model: a fresh-headed MiniLM cross-encoder, exported ------------------------------

@pytest.fixture(scope="module")
def artefact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packaged MiniLM as a cross-encoder (seeded fresh head), saved and exported (~1 min)."""
    pytest.importorskip("onnxruntime")
    import torch
    from sentence_transformers import CrossEncoder

    from matcher.encoder import packaged_model_path
    from training.cross_encoder_eval import export_onnx

    torch.manual_seed(0)
    d = tmp_path_factory.mktemp("vars") / "models" / "cross-test"
    ce = CrossEncoder(str(packaged_model_path()), num_labels=1, max_length=48, device="cpu",
                      local_files_only=True)
    ce.save(str(d / "model"), create_model_card=False)
    export_onnx(d)
    (d / "meta.json").write_text(json.dumps({"kind": "cross-encoder", "created": "2026-12-03",
                                             "summary": {}}))
    return d


PAIRS = [("tile setter", "tile fitter. Tile fitters lay tiles on walls and floors"),
         ("tile setter", "bricklayer. Bricklayers build walls from bricks and mortar"),
         ("wireman", "electrician. Electricians install electrical wiring in buildings"),
         ("wireman", "welder. Welders join metal parts using welding equipment"),
         ("bus operator", "bus driver. Bus drivers drive buses and carry passengers"),
         ("house maid", "domestic cleaner. Domestic cleaners clean private homes"),
         ("a very long query " * 20, "domestic cleaner. Domestic cleaners clean private homes")]


@pytest.mark.slow
def test_onnx_logits_match_the_torch_model(artefact: Path) -> None:
    from matcher.cross_encoder import OnnxCrossEncoder, TorchCrossEncoder

    ref = TorchCrossEncoder(artefact / "model").score(PAIRS)
    fp32 = OnnxCrossEncoder(artefact / "onnx" / "model.onnx", threads=1).score(PAIRS)
    int8 = OnnxCrossEncoder(artefact / "onnx" / "model_int8.onnx", threads=1).score(PAIRS)
    assert ref.shape == fp32.shape == int8.shape == (len(PAIRS),)
    assert np.abs(fp32 - ref).max() < 1e-3
    assert np.abs(int8 - ref).max() < 0.1
    assert np.ptp(ref) > 1e-3  # the pairs do get different scores


@pytest.mark.slow
def test_the_pointer_switches_the_second_stage_on_and_first_stage_switches_it_off(
        artefact: Path, tmp_path: Path) -> None:
    from indexer.activation import activate
    from matcher.cross_encoder import CrossReranker
    from matcher.models import active_cross_encoder, write_pointer
    from matcher.rankers import second_stage

    var = artefact.parent.parent
    s = make_settings(tmp_path).model_copy(update={"var_dir": var})
    assert second_stage(s) is None  # nothing active: the default
    write_pointer(var, "cross-encoder", artefact.name)
    assert active_cross_encoder(var) is None  # not tuned: no rerank.json, so not served
    (artefact / "rerank.json").write_text(json.dumps({"k": 20, "alpha": 0.5,
                                                      "variant": "int8"}))
    rr = second_stage(s)
    assert isinstance(rr, CrossReranker) and (rr.k, rr.alpha) == (20, 0.5)
    assert activate(s, "first-stage")["kind"] == "cross-encoder"
    assert second_stage(s) is None
    assert activate(s, artefact.name) == {"kind": "cross-encoder", "name": artefact.name}
    assert second_stage(s) is rr
    write_pointer(var, "cross-encoder", None)
