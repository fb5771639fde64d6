"""Ranking metrics: the one implementation of nDCG, MAP, MRR and recall used by every
evaluation (``training.eval_tasks``, the candidates benchmark, the re-ranker's cross-validation,
``training.finetune``'s dev check).

Two input forms, one definition:

- by ranks: :func:`ndcg_at_ranks` etc. take the 1-based ranks of the relevant items;
- by scores: :func:`ranks_of_relevant` turns a score vector and the indices of the relevant
  items into those ranks (ties broken against the relevant item, so a constant scorer earns
  nothing);
- graded: :func:`graded_ndcg` takes a ranked id list and graded relevance (gain 2^rel − 1).

nDCG uses the log2(rank + 1) discount throughout.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np


def ranks_of_relevant(scores: np.ndarray, relevant: Sequence[int]) -> np.ndarray:
    """Return the sorted 1-based ranks of the relevant items in a descending sort of ``scores``.

    Ties are broken against the relevant item: its rank counts every item scoring at least as
    high.
    """
    rel = np.asarray(sorted(set(relevant)), dtype=np.int64)
    if len(rel) == 0:
        return rel
    rs = scores[rel]
    higher = (scores[None, :] > rs[:, None]).sum(axis=1)
    ties = (scores[None, :] == rs[:, None]).sum(axis=1) - 1
    return np.sort(1 + higher + ties)


def dcg(gains: Sequence[float] | np.ndarray, k: int) -> float:
    """Return the discounted cumulative gain of the first ``k`` gains (rank 1 first)."""
    g = np.asarray(gains, dtype=np.float64)[:k]
    return float(np.sum(g / np.log2(np.arange(2, len(g) + 2))))


def graded_ndcg(ranked: Sequence[Any], rel: Mapping[Any, float], k: int = 10) -> float:
    """Return graded nDCG@k (gain 2^rel − 1) of a ranked id list; 0 with nothing relevant."""
    ideal = dcg([2 ** g - 1 for g in sorted(rel.values(), reverse=True)], k)
    if not ideal:
        return 0.0
    return dcg([2 ** rel.get(d, 0) - 1 for d in ranked], k) / ideal


def ndcg_at_ranks(ranks: np.ndarray, k: int = 10) -> float:
    """Binary nDCG@k from the relevant items' ranks (:func:`ranks_of_relevant`)."""
    if len(ranks) == 0:
        return 0.0
    got = float(np.sum(1.0 / np.log2(ranks[ranks <= k] + 1)))
    ideal = float(np.sum(1.0 / np.log2(np.arange(1, min(k, len(ranks)) + 1) + 1)))
    return got / ideal


def average_precision_at_ranks(ranks: np.ndarray) -> float:
    """Average precision from the relevant items' ranks (0 with none)."""
    if len(ranks) == 0:
        return 0.0
    return float(np.mean(np.arange(1, len(ranks) + 1) / ranks))


def reciprocal_rank_at_ranks(ranks: np.ndarray, k: int | None = None) -> float:
    """1 / rank of the first relevant item (0 when it is below ``k`` or there is none)."""
    if len(ranks) == 0 or (k is not None and ranks[0] > k):
        return 0.0
    return float(1.0 / ranks[0])


def recall_at_ranks(ranks: np.ndarray, k: int) -> float:
    """Share of the relevant items ranked in the top ``k``."""
    return float((ranks <= k).sum() / len(ranks)) if len(ranks) else 0.0


def hit_at_ranks(ranks: np.ndarray, k: int) -> float:
    """1 when a relevant item is in the top ``k``, else 0 (recall@k of one-answer queries)."""
    return float(len(ranks) > 0 and ranks[0] <= k)


def average_precision(scores: np.ndarray, relevant: Sequence[int]) -> float:
    """Average precision of ranking by ``scores``."""
    return average_precision_at_ranks(ranks_of_relevant(scores, relevant))


def reciprocal_rank(scores: np.ndarray, relevant: Sequence[int], k: int | None = None) -> float:
    """Reciprocal rank of the first relevant item when ranking by ``scores`` (MRR@k with k)."""
    return reciprocal_rank_at_ranks(ranks_of_relevant(scores, relevant), k)


def recall_at(scores: np.ndarray, relevant: Sequence[int], k: int) -> float:
    """Recall@k of ranking by ``scores``."""
    return recall_at_ranks(ranks_of_relevant(scores, relevant), k)


def hit_at(scores: np.ndarray, relevant: Sequence[int], k: int) -> float:
    """Whether a relevant item is in the top ``k`` when ranking by ``scores``."""
    return hit_at_ranks(ranks_of_relevant(scores, relevant), k)


def ndcg_at(scores: np.ndarray, relevant: Sequence[int], k: int = 10) -> float:
    """Binary nDCG@k of ranking by ``scores``."""
    return ndcg_at_ranks(ranks_of_relevant(scores, relevant), k)


def grouped_ndcg(scores: np.ndarray, y: np.ndarray, groups: np.ndarray, k: int = 10) -> float:
    """Mean graded-by-label nDCG@k over groups of ranking each group's rows by ``scores``.

    Gains are the labels themselves (0/1 decisions); groups with no positive label are skipped;
    ties keep row order. NaN when no group has a positive label.
    """
    vals = []
    for g in np.unique(groups):
        m = groups == g
        rel = y[m]
        if rel.sum() == 0:
            continue
        order = np.lexsort((np.arange(m.sum()), -scores[m]))
        vals.append(dcg(rel[order], k) / dcg(np.sort(rel)[::-1], k))
    return float(np.mean(vals)) if vals else float("nan")


# Metric name (as the evaluation tables print it) → metric of (scores, relevant indices).
METRICS: dict[str, Callable[[np.ndarray, Sequence[int]], float]] = {
    "MAP": average_precision,
    "MRR": reciprocal_rank,
    "MRR@10": lambda s, r: reciprocal_rank(s, r, 10),
    "nDCG@10": lambda s, r: ndcg_at(s, r, 10),
    "R@1": lambda s, r: hit_at(s, r, 1),
    "R@5": lambda s, r: hit_at(s, r, 5),
    "R@10": lambda s, r: hit_at(s, r, 10),
}
