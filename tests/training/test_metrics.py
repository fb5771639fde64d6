"""The one implementation of the ranking metrics, on rankings whose values are known by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from training.metrics import (
    METRICS,
    average_precision,
    graded_ndcg,
    grouped_ndcg,
    hit_at,
    ndcg_at,
    ranks_of_relevant,
    recall_at,
    reciprocal_rank,
)

SCORES = np.array([0.9, 0.8, 0.7, 0.6, 0.5])  # ranking: item 0, 1, 2, 3, 4


def test_binary_metrics_on_a_known_ranking() -> None:
    assert average_precision(SCORES, [0, 2]) == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert reciprocal_rank(SCORES, [2, 3]) == pytest.approx(1 / 3)
    assert reciprocal_rank(SCORES, [4], k=3) == 0.0
    assert recall_at(SCORES, [0, 3, 4], 2) == pytest.approx(1 / 3)
    assert hit_at(SCORES, [1], 1) == 0.0 and hit_at(SCORES, [4], 5) == 1.0
    assert METRICS["R@1"](SCORES, [1]) == 0.0 and METRICS["R@5"](SCORES, [4]) == 1.0
    assert METRICS["MRR@10"](SCORES, [1]) == 0.5


def test_ndcg_known_values() -> None:
    assert ndcg_at(SCORES, [0], 10) == pytest.approx(1.0)
    assert ndcg_at(SCORES, [1], 10) == pytest.approx(1 / math.log2(3))
    # relevant at ranks 2 and 4, ideal at 1 and 2
    want = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at(SCORES, [1, 3], 10) == pytest.approx(want)
    assert ndcg_at(SCORES, [4], 3) == 0.0  # below the cut-off
    assert ndcg_at(SCORES, [], 10) == 0.0


def test_graded_ndcg_known_values() -> None:
    rel = {"a": 3, "b": 1, "c": 2}
    assert graded_ndcg(["a", "c", "b"], rel) == pytest.approx(1.0)
    got = (1 / math.log2(2) + 7 / math.log2(3) + 0 + 3 / math.log2(5))  # b, a, x, c
    ideal = 7 / math.log2(2) + 3 / math.log2(3) + 1 / math.log2(4)
    assert graded_ndcg(["b", "a", "x", "c"], rel) == pytest.approx(got / ideal)
    assert graded_ndcg(["b", "a", "x", "c"], rel, k=1) == pytest.approx(1 / 7)
    assert graded_ndcg(["x"], {}) == 0.0


def test_grouped_ndcg_is_the_mean_over_groups_with_a_positive() -> None:
    scores = np.array([0.9, 0.1, 0.5, 0.2, 0.3, 0.4])
    y = np.array([0, 1, 1, 0, 0, 0])
    groups = np.array([1, 1, 2, 2, 3, 3])  # group 3 has no positive: skipped
    want = ((1 / math.log2(3)) + 1.0) / 2
    assert grouped_ndcg(scores, y, groups) == pytest.approx(want)
    assert math.isnan(grouped_ndcg(scores, np.zeros(6, dtype=int), groups))


def test_ties_do_not_flatter_a_system() -> None:
    flat = np.zeros(100)
    assert reciprocal_rank(flat, [5]) == pytest.approx(1 / 100)
    assert ranks_of_relevant(flat, [5, 7]).tolist() == [100, 100]  # each behind every tie
    assert ndcg_at(flat, [5], 10) == 0.0
