"""The occupation ranker's second stage (matcher.cross_encoder): applied to each short query's
top k when attached, and the ranking exactly the first stage's when it is not."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from support import CONCEPTS  # the six toy occupations shared by the ranker tests

from matcher.cross_encoder import DOC_WORDS, CrossReranker, rerank_doc
from matcher.encoder import HashingEncoder
from matcher.normalise import ConceptRanker


class Prefers:
    """A pair scorer that reads the document: a high logit for documents with ``word``."""

    def __init__(self, word: str) -> None:
        self.word = word
        self.pairs: list[tuple[str, str]] = []

    def score(self, pairs: Sequence[tuple[str, str]],
              batch_size: int = 64) -> np.ndarray:  # noqa: ARG002
        self.pairs += list(pairs)
        return np.array([4.0 if self.word in d.casefold() else -4.0 for _, d in pairs],
                        dtype=np.float32)


@pytest.fixture
def ranker(tmp_path: Path) -> ConceptRanker:
    return ConceptRanker("occupations", CONCEPTS, HashingEncoder(), cache_dir=tmp_path,
                         show_progress=False)


def test_the_document_is_label_and_description_never_an_alternative_label() -> None:
    doc = rerank_doc(CONCEPTS[0])
    assert doc.startswith("tile fitter. Tile fitters lay")
    assert len(doc.split()) == DOC_WORDS
    assert "tiler" not in doc.split() and "setter" not in doc


def test_an_attached_second_stage_decides_the_top_k(ranker: ConceptRanker) -> None:
    first = ranker.rank("tile setter", top_k=6)
    assert first[0]["label"] == "tile fitter"
    scorer = Prefers("electrician")
    ranker.reranker = CrossReranker(scorer, k=6, alpha=1.0)
    second = ranker.rank("tile setter", top_k=6)
    assert second[0]["label"] == "electrician"
    assert scorer.pairs and all(q == "tile setter" for q, _ in scorer.pairs)
    # the fused score is (1 - alpha) first stage + alpha sigmoid(logit)
    ranker.reranker = CrossReranker(Prefers("electrician"), k=6, alpha=0.5)
    fused = {r["label"]: r["score"] for r in ranker.rank("tile setter", top_k=6)}
    base = {r["label"]: r["score"] for r in first}
    p_hi, p_lo = 1 / (1 + np.exp(-4.0)), 1 / (1 + np.exp(4.0))
    assert fused["tile fitter"] == pytest.approx(0.5 * base["tile fitter"] + 0.5 * p_lo, abs=1e-4)
    assert fused["electrician"] == pytest.approx(
        0.5 * float(ranker.score_matrix(["tile setter"], rerank=False)[0, 5]) + 0.5 * p_hi,
        abs=1e-4)


def test_detached_or_switched_off_the_ranking_is_exactly_the_first_stage(
        ranker: ConceptRanker) -> None:
    queries = ["tile setter", "wireman", "bus operator", "brick mason"]
    plain = ranker.rank_many(queries, top_k=6)
    matrix = ranker.score_matrix(queries)
    ranker.reranker = CrossReranker(Prefers("electrician"), k=6, alpha=1.0)
    assert ranker.rank_many(queries, top_k=6) != plain
    assert np.array_equal(ranker.score_matrix(queries, rerank=False), matrix)
    ranker.reranker = None
    assert ranker.rank_many(queries, top_k=6) == plain
    assert np.array_equal(ranker.score_matrix(queries), matrix)


def test_only_the_first_stage_top_k_is_read(ranker: ConceptRanker) -> None:
    before = ranker.score_matrix(["tile setter"])[0]
    top2 = set(np.argsort(-before)[:2].tolist())
    scorer = Prefers("electrician")
    ranker.reranker = CrossReranker(scorer, k=2, alpha=1.0)
    after = ranker.score_matrix(["tile setter"])[0]
    assert len(scorer.pairs) == 2
    assert {d for _, d in scorer.pairs} == {rerank_doc(CONCEPTS[i]) for i in top2}
    outside = [i for i in range(len(CONCEPTS)) if i not in top2]
    assert np.array_equal(after[outside], before[outside])


def test_long_texts_and_empty_queries_keep_the_first_stage(ranker: ConceptRanker) -> None:
    long = ("I worked as a tile setter in Dubai for five years laying floor and wall tiles "
            "in hotels")
    plain = ranker.rank(long, top_k=6)
    scorer = Prefers("electrician")
    ranker.reranker = CrossReranker(scorer, k=6, alpha=1.0)
    assert ranker.rank(long, top_k=6) == plain
    assert ranker.rank("   ", top_k=6) == []
    assert scorer.pairs == []
