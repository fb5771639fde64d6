"""The vector leg of the embedded backend: float32 unit vectors in rows, and the IVF index.

Below ``indexer.ann.MIN_TRAIN`` rows (or with ``exact=True``, the benchmarks' baseline) the
leg scans every row passing the filter mask; above, the IVF index picks the rows nearest the
query among those passing the mask, which are then scored exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from indexer.ann import IVFIndex, ProbeParams
from indexer.protocol import Document, InvalidDocumentError


class VectorStore:
    """Vectors of one physical index (one row per document) and its IVF lists."""

    def __init__(self, dim: int, cap: int, *, exact: bool = False,
                 probe: ProbeParams | None = None) -> None:
        self.dim = dim
        self.exact = exact
        self.matrix = np.zeros((cap, dim), dtype=np.float32)
        self.ann = IVFIndex(dim, probe)

    def load(self, snapshot: np.ndarray | None, n: int, cap: int,
             ann_state: dict[str, Any] | None) -> None:
        """Take ``n`` rows of a snapshot's vectors and its IVF state."""
        self.matrix = np.zeros((cap, self.dim), dtype=np.float32)
        if n and snapshot is not None:
            self.matrix[:n] = snapshot[:n]
        self.ann = IVFIndex.from_state(self.dim, ann_state, n, self.ann.params)

    def grow(self, new_cap: int) -> None:
        """Make room for ``new_cap`` rows."""
        cap = self.matrix.shape[0]
        try:  # in place (realloc/mremap): no second copy of a large matrix while growing
            self.matrix.resize((new_cap, self.dim), refcheck=False)
        except ValueError:  # not owning its memory (e.g. loaded as a view): copy
            grown = np.zeros((new_cap, self.dim), dtype=np.float32)
            grown[:cap] = self.matrix
            self.matrix = grown

    def prepare(self, docs: Sequence[Document]) -> np.ndarray:
        """Return a batch's vectors as a float32 matrix (zeros where a document has none).

        :raises InvalidDocumentError: not a vector, or one of the wrong dimension.
        """
        vecs = np.zeros((len(docs), self.dim), dtype=np.float32)
        for i, d in enumerate(docs):
            if d.vector is None:
                continue
            try:
                v = np.asarray(d.vector, dtype=np.float32).reshape(-1)
            except (ValueError, TypeError) as exc:
                raise InvalidDocumentError(f"document {d.id}: not a vector ({exc})") from exc
            if v.shape[0] != self.dim:
                raise InvalidDocumentError(f"document {d.id}: a vector of {v.shape[0]} "
                                           f"dimensions in an index of {self.dim}")
            vecs[i] = v
        return vecs

    def set_rows(self, rows: np.ndarray, vecs: np.ndarray, n: int, n_live: int) -> None:
        """Write vectors into ``rows`` and assign them to IVF lists (``n`` rows in all)."""
        self.matrix[rows] = vecs
        self.ann.update(rows, self.matrix[rows], n, self.matrix, n_live)

    def nearest(self, query: np.ndarray, mask: np.ndarray, k: int) -> np.ndarray:
        """Return the rows of the vector top-k among those passing ``mask`` (IVF or exact)."""
        q = np.asarray(query, dtype=np.float32)
        if not self.exact and self.ann.trained:
            cand = self.ann.candidates(q, mask, k)
            sims = self.matrix[cand] @ q
        else:
            cand = np.flatnonzero(mask)
            sims = self.matrix[:len(mask)] @ q
            sims = sims[cand]
        if len(cand) > k:
            return cand[np.argpartition(-sims, k - 1)[:k]]
        return cand

    def cosines(self, rows: np.ndarray, query: np.ndarray) -> list[float]:
        """Return the cosine of the query and each row's vector."""
        return (self.matrix[rows] @ np.asarray(query, dtype=np.float32)).tolist()

    def state(self, n: int) -> dict[str, Any]:
        """Return the IVF index's snapshot entry for ``n`` rows."""
        return self.ann.state(n)
