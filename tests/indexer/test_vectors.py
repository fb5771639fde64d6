"""The IVF vector index: recall vs exact scoring, filters pushed in, writes visible, persisted."""

from __future__ import annotations

import numpy as np
import pytest

from indexer import ann
from indexer.embedded import EmbeddedBackend
from indexer.protocol import Document, IndexSchema

DIM = 32
FIELDS = {"group": "int", "ok": "bool"}


def clustered(n: int, seed: int = 0, centres: int = 40) -> np.ndarray:
    """Unit vectors around random centres (like embeddings of profiles of a few trades)."""
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(centres, DIM))
    x = c[rng.integers(0, centres, n)] + 0.6 * rng.normal(size=(n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def small_ivf(monkeypatch):
    """Train the IVF index from 2,000 rows so tests stay fast."""
    monkeypatch.setattr(ann, "MIN_TRAIN", 2_000)
    monkeypatch.setattr(ann, "TRAIN_SAMPLE", 2_000)


def _docs(vecs: np.ndarray, start: int = 1, version: int = 1) -> list[Document]:
    return [Document(id=start + i, version=version, text="", vector=v,
                     fields={"group": (start + i) % 7, "ok": (start + i) % 3 != 0},
                     payload={"i": start + i}) for i, v in enumerate(vecs)]


def _exact(vecs: np.ndarray, ids: np.ndarray, q: np.ndarray, keep: np.ndarray, k: int) -> set:
    sims = vecs @ q
    sims[~keep] = -np.inf
    return {int(ids[i]) for i in np.argsort(-sims)[:k] if keep[i]}


@pytest.mark.usefixtures("small_ivf")
def test_ivf_recall_at_10_under_a_filter_matches_exact(tmp_path):
    n = 6_000
    vecs = clustered(n)
    # Probe a small share so the test exercises the approximate path, not a full scan.
    probe = ann.ProbeParams(min_probe_frac=1 / 8, min_eligible=600, eligible_per_k=20)
    b = EmbeddedBackend(tmp_path, probe=probe)
    b.ensure_index(IndexSchema("w", FIELDS, DIM))
    for s in range(0, n, 1_000):
        b.upsert("w", _docs(vecs[s:s + 1_000], start=s + 1))
    assert b.stats("w").ivf_lists >= 16
    ids = np.arange(1, n + 1)
    keep = (ids % 7 >= 2) & (ids % 3 != 0)
    flt = [{"field": "group", "op": "gte", "value": 2}, {"field": "ok", "op": "eq", "value": True}]
    queries = clustered(40, seed=1)
    recalls = []
    for q in queries:
        hits = b.search("w", text=None, vector=q, filters=flt, k=10)
        got = {h.id for h in hits}
        assert all(keep[i - 1] for i in got)  # the filter is respected
        assert all(h.vector_score == pytest.approx(float(vecs[h.id - 1] @ q), abs=1e-5)
                   for h in hits)  # scores are exact
        recalls.append(len(got & _exact(vecs, ids, q, keep, 10)) / 10)
    assert np.mean(recalls) >= 0.95
    # The probe really is partial: an IVF index with those parameters over the same vectors
    # scans fewer rows than are eligible.
    ivf = ann.IVFIndex(DIM, probe)
    for s in range(0, n, 1_000):
        rows = np.arange(s, s + 1_000)
        ivf.update(rows, vecs[rows], s + 1_000, vecs, s + 1_000)
    assert len(ivf.candidates(queries[0], keep, 10)) < keep.sum()
    b.close()


@pytest.mark.usefixtures("small_ivf")
def test_updates_and_deletes_are_visible_through_the_ivf(tmp_path):
    n = 3_000
    vecs = clustered(n, seed=2)
    b = EmbeddedBackend(tmp_path)
    b.ensure_index(IndexSchema("w", FIELDS, DIM))
    b.upsert("w", _docs(vecs))
    assert b.stats("w").ivf_lists > 0
    q = clustered(1, seed=3)[0]
    # A new document equal to the query is found at once, and so is a moved one.
    b.upsert("w", [Document(id=99_999, version=1, text="", vector=q,
                            fields={"group": 1, "ok": True}, payload={})])
    assert 99_999 in {h.id for h in b.search("w", text=None, vector=q, k=5)}
    b.upsert("w", [Document(id=5, version=2, text="", vector=-q, fields={"group": 1, "ok": True},
                            payload={})])
    b.upsert("w", [Document(id=7, version=2, text="", vector=q, fields={"group": 1, "ok": True},
                            payload={})])
    top = {h.id for h in b.search("w", text=None, vector=q, k=5)}
    assert {99_999, 7} <= top and 5 not in top
    b.delete("w", 99_999, version=2)
    assert 99_999 not in {h.id for h in b.search("w", text=None, vector=q, k=5)}
    # The same after a reopen: the lists are persisted, pending rows included.
    b.close()
    b2 = EmbeddedBackend(tmp_path)
    b2.ensure_index(IndexSchema("w", FIELDS, DIM))
    assert b2.stats("w").ivf_lists > 0
    top = {h.id for h in b2.search("w", text=None, vector=q, k=5)}
    assert 7 in top and 99_999 not in top and 5 not in top
    assert b2.count("w") == n + 0  # 99_999 deleted; 5 and 7 replaced in place
    b2.close()


@pytest.mark.usefixtures("small_ivf")
def test_snapshot_rebuild_keeps_every_row_findable():
    n = 4_000
    vecs = clustered(n, seed=4)
    ivf = ann.IVFIndex(DIM, ann.ProbeParams(min_probe_frac=1.0))
    ivf.update(np.arange(n), vecs, n, vecs, n)
    assert ivf.trained
    more = clustered(12_000, seed=5)
    allv = np.vstack([vecs, more])
    for s in range(0, len(more), 1_000):
        rows = np.arange(n + s, n + s + 1_000)
        ivf.update(rows, allv[rows], n + s + 1_000, allv, n + s + 1_000)
    # Probing every list returns every row exactly once.
    mask = np.ones(len(allv), dtype=bool)
    got = ivf.candidates(allv[0], mask, 10)
    assert len(got) == len(allv) and len(np.unique(got)) == len(allv)
