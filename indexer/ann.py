"""An inverted-file (IVF) vector index in numpy, with the eligibility filter pushed into it.

Rows of the backend's vector matrix are assigned to the nearest of ``nlist`` k-means centroids
(spherical k-means: vectors are unit length, similarity is the dot product). A query scores the
centroids, then walks the lists nearest first and keeps only rows that pass the filter mask,
until it has gathered enough *eligible* rows (``min_eligible``, at least ``min_probe`` lists);
those rows are scored exactly (float32 dot product) and the top k returned. A selective filter
therefore probes more lists instead of returning fewer hits, and the scores returned are exact.

Freshness: a row written after the last snapshot of the lists is in ``pending`` and always
scanned (exactly, under the mask); the list snapshot is rebuilt when ``pending`` grows past a
share of the index. The centroids are retrained when the index has grown ``RETRAIN_GROWTH``-fold
since they were trained, so list sizes stay near ``sqrt(n)``.

No I/O: the owner persists :meth:`state` and restores it with :meth:`from_state`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIN_TRAIN = 20_000          # below this many rows an exact scan is as fast: no index
RETRAIN_GROWTH = 4.0
MAX_LISTS = 1024
TRAIN_SAMPLE = 32_768
KMEANS_ITERS = 8
ASSIGN_CHUNK = 32_768


@dataclass
class ProbeParams:
    """How much of the index a query scans (tuned in bench/match.py for recall@10 ≥ 0.95)."""

    min_probe_frac: float = 1 / 32     # at least this share of the lists
    min_eligible: int = 3_000           # ... and at least this many rows passing the filter
    eligible_per_k: int = 10            # ... and at least k × this many


def nearest(vectors: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Return the index of the most similar centroid for each row (chunked matmul)."""
    out = np.empty(len(vectors), dtype=np.int32)
    for s in range(0, len(vectors), ASSIGN_CHUNK):
        sims = vectors[s:s + ASSIGN_CHUNK] @ centroids.T
        out[s:s + ASSIGN_CHUNK] = np.argmax(sims, axis=1)
    return out


def train_centroids(sample: np.ndarray, nlist: int, seed: int = 0) -> np.ndarray:
    """Spherical k-means on ``sample``; returns ``(nlist, dim)`` unit centroids."""
    rng = np.random.default_rng(seed)
    cent = sample[rng.choice(len(sample), nlist, replace=False)].copy()
    for _ in range(KMEANS_ITERS):
        assign = nearest(sample, cent)
        sums = np.zeros_like(cent)
        _scatter_add(sums, assign, sample)
        norms = np.linalg.norm(sums, axis=1)
        empty = norms < 1e-9
        if empty.any():  # re-seed empty lists with random sample rows
            sums[empty] = sample[rng.choice(len(sample), int(empty.sum()), replace=False)]
            norms[empty] = np.linalg.norm(sums[empty], axis=1)
        cent = (sums / np.maximum(norms, 1e-9)[:, None]).astype(np.float32)
    return cent


def _scatter_add(sums: np.ndarray, assign: np.ndarray, rows: np.ndarray) -> None:
    order = np.argsort(assign, kind="stable")
    a = assign[order]
    starts = np.flatnonzero(np.r_[True, a[1:] != a[:-1]])
    sums[a[starts]] += np.add.reduceat(rows[order], starts, axis=0)


class IVFIndex:
    """Cluster lists over the rows ``0..n`` of an external vector matrix."""

    def __init__(self, dim: int, params: ProbeParams | None = None) -> None:
        self.dim = dim
        self.params = params or ProbeParams()
        self.centroids: np.ndarray | None = None
        self.trained_n = 0
        self.assign = np.full(0, -1, dtype=np.int32)
        self.order = np.zeros(0, dtype=np.int64)
        self.offsets = np.zeros(1, dtype=np.int64)
        self.pending: list[int] = []
        self._pending_set: set[int] = set()

    # -- state --------------------------------------------------------------------------------
    @property
    def trained(self) -> bool:
        """Whether centroids exist (otherwise callers scan exactly)."""
        return self.centroids is not None

    def state(self, n: int) -> dict[str, np.ndarray | int]:
        """Return what must be persisted to restore the index for rows ``0..n``."""
        if self.centroids is None:
            return {"trained_n": 0}
        return {"centroids": self.centroids, "assign": self.assign[:n], "trained_n": self.trained_n}

    @classmethod
    def from_state(cls, dim: int, st: dict | None, n: int,
                   params: ProbeParams | None = None) -> IVFIndex:
        """Restore from :meth:`state` (``None``: an untrained index)."""
        ivf = cls(dim, params)
        if st and st.get("trained_n"):
            ivf.centroids = np.asarray(st["centroids"], dtype=np.float32)
            ivf.trained_n = int(st["trained_n"])
            ivf.assign = np.full(max(n, 1024), -1, dtype=np.int32)
            ivf.assign[:n] = st["assign"][:n]
            ivf._snapshot(n)
        return ivf

    def _grow(self, n: int) -> None:
        if len(self.assign) < n:
            grown = np.full(max(n, int(len(self.assign) * 1.5) + 1024), -1, dtype=np.int32)
            grown[:len(self.assign)] = self.assign
            self.assign = grown

    def _snapshot(self, n: int) -> None:
        a = self.assign[:n]
        self.order = np.argsort(a, kind="stable").astype(np.int64)
        nlist = len(self.centroids) if self.centroids is not None else 0
        counts = np.bincount(a[a >= 0], minlength=nlist)
        first = int(np.count_nonzero(a < 0))  # unassigned rows sort first; skip them
        self.order = self.order[first:]
        self.offsets = np.r_[0, np.cumsum(counts)].astype(np.int64)
        self.pending, self._pending_set = [], set()

    # -- writing ------------------------------------------------------------------------------
    def update(self, rows: np.ndarray, vectors: np.ndarray, n: int, all_vectors: np.ndarray,
               n_live: int) -> None:
        """Assign written rows to lists; (re)train when the index is new or has grown enough.

        :param rows: the rows just written; ``vectors`` their vectors.
        :param n: rows in use after the write; ``all_vectors[:n]`` is the matrix.
        :param n_live: live rows (decides when to train).
        """
        if self.centroids is None:
            if n_live >= MIN_TRAIN:
                self.train(all_vectors, n)
            return
        if n >= RETRAIN_GROWTH * self.trained_n:
            self.train(all_vectors, n)
            return
        self._grow(n)
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows):
            self.assign[rows] = nearest(np.asarray(vectors, dtype=np.float32), self.centroids)
            for r in rows.tolist():
                if r not in self._pending_set:
                    self._pending_set.add(r)
                    self.pending.append(r)
        if len(self.pending) > max(10_000, n // 20):
            self._snapshot(n)

    def train(self, all_vectors: np.ndarray, n: int, seed: int = 0) -> None:
        """Train centroids on a sample of rows ``0..n`` and assign every row."""
        nlist = int(min(MAX_LISTS, max(16, math.sqrt(n))))
        rng = np.random.default_rng(seed)
        take = rng.choice(n, min(n, max(TRAIN_SAMPLE, nlist * 32)), replace=False)
        sample = all_vectors[np.sort(take)]
        sample = sample[np.linalg.norm(sample, axis=1) > 0]
        if len(sample) < nlist:
            return
        self.centroids = train_centroids(sample, nlist, seed)
        self.trained_n = n
        self.assign = np.full(max(n, 1024), -1, dtype=np.int32)
        self.assign[:n] = nearest(all_vectors[:n], self.centroids)
        self._snapshot(n)

    # -- reading ------------------------------------------------------------------------------
    def candidates(self, query: np.ndarray, mask: np.ndarray, k: int,
                   n_eligible: int | None = None) -> np.ndarray:
        """Return the rows (passing ``mask``) to score exactly for the top ``k`` of ``query``."""
        assert self.centroids is not None
        p = self.params
        nlist = len(self.centroids)
        cscore = self.centroids @ query
        by_score = np.argsort(-cscore)
        need = max(p.min_eligible, k * p.eligible_per_k)
        if n_eligible is not None:
            need = min(need, n_eligible)
        probe = max(1, int(math.ceil(nlist * p.min_probe_frac)))
        done = 0
        parts: list[np.ndarray] = []
        got = 0
        offs = self.offsets
        while done < nlist:
            chosen = by_score[done:probe]
            slices = [self.order[offs[c]:offs[c + 1]] for c in chosen.tolist()]
            if slices:
                rows = np.concatenate(slices)
                rows = rows[mask[rows]]
                parts.append(rows)
                got += len(rows)
            done = probe
            if got >= need:
                break
            # Expect the eligible share seen so far; probe enough lists for what is missing.
            seen = int(offs[by_score[:done] + 1].sum() - offs[by_score[:done]].sum()) or 1
            rate = max(got / seen, 1e-4)
            avg = max(offs[-1] / nlist, 1.0)
            probe = min(nlist, done + max(done // 2, int(math.ceil((need - got) / rate / avg))))
        if self.pending:
            pend = np.fromiter(self.pending, dtype=np.int64, count=len(self.pending))
            pend = pend[pend < len(mask)]
            parts.append(pend[mask[pend]])
        if not parts:
            return np.zeros(0, dtype=np.int64)
        rows = np.concatenate(parts)
        if self.pending:
            rows = np.unique(rows)
        return rows
