"""What one index version holds in memory, and the reads and changes made to it.

Rows (ids, versions, tombstones, the pickled fields and payload of each row, the live flags),
filter columns (:mod:`.masks`), vectors (:mod:`.vectors`) and the text index (:mod:`.keyword`).
Nothing here touches the disk except through tantivy's writer, which the caller passes in:
:mod:`.physical` owns the journal, the snapshots and the writer lock, and decides when tantivy
commits.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import tantivy

from indexer.ann import ProbeParams
from indexer.embedded.keyword import TWO_STEP_MIN_SHARE, KeywordForm, TextIndex
from indexer.embedded.masks import FilterColumns
from indexer.embedded.vectors import VectorStore
from indexer.protocol import Document, Filter, Hit, IndexSchema, InvalidDocumentError

MIN_CAP = 1024  # rows allocated at least (the columns grow by half when full)


class Contents:
    """The in-memory contents of one index version, guarded by ``lock``."""

    def __init__(self, path: Path, schema: IndexSchema, *, exact_vectors: bool = False,
                 keyword: KeywordForm = "two_step", two_step_min_share: float = TWO_STEP_MIN_SHARE,
                 probe: ProbeParams | None = None) -> None:
        self.schema = schema
        self.lock = threading.RLock()
        self.text = TextIndex(path / "tantivy", schema.fields, form=keyword,
                              min_share=two_step_min_share)
        self.vectors = VectorStore(schema.dim, MIN_CAP, exact=exact_vectors, probe=probe)
        self._set_rows(None, None)

    # -- state ----------------------------------------------------------------------------------
    def _set_rows(self, st: dict[str, Any] | None, vectors: np.ndarray | None) -> None:
        """Take the rows of a snapshot (``None``: empty) and its vectors."""
        fields = self.schema.fields
        if st is None:
            self.ids: list[int] = []
            self.versions: dict[int, int] = {}
            self.tombstones: set[int] = set()
            self.blobs: list[bytes | None] = []
            self.live = np.zeros(MIN_CAP, dtype=bool)
            self.filters = FilterColumns(fields, MIN_CAP)
            self.vectors.load(None, 0, MIN_CAP, None)
        else:
            fmt = int(st.get("format", 1))
            self.ids, self.versions, self.tombstones = st["ids"], st["versions"], st["tombstones"]
            n = len(self.ids)
            if "blobs" in st:
                self.blobs = st["blobs"]
            else:  # format 1: separate lists of dicts
                self.blobs = [None if f is None else _blob(f, p)
                              for f, p in zip(st["fields"], st["payloads"], strict=True)]
            cap = max(n, MIN_CAP)
            self.filters = FilterColumns.from_state(fields, st, n, cap, fmt)
            self.live = np.zeros(cap, dtype=bool)
            self.live[:n] = st["live"][:n]
            self.vectors.load(vectors if n else None, n, cap, st.get("ann"))
        self.row_of = {i: r for r, i in enumerate(self.ids)}
        self.row_by_id = np.full(0, -1, dtype=np.int64)
        self._index_ids(np.asarray(self.ids, dtype=np.int64),
                        np.arange(len(self.ids), dtype=np.int64))
        self.n_live = int(np.count_nonzero(self.live[:len(self.ids)]))

    def _state(self) -> dict[str, Any]:
        """Return the rows as a snapshot holds them (vectors apart: ``vectors.matrix``)."""
        n = len(self.ids)
        return {"ids": self.ids, "versions": self.versions, "tombstones": self.tombstones,
                "blobs": self.blobs, **self.filters.state(n), "live": self.live[:n],
                "ann": self.vectors.state(n)}

    def _stray_text_ids(self) -> set[int]:
        """Return the ids tantivy holds that are not live rows (left by an older crash)."""
        if self.text.index.searcher().num_docs <= self.n_live:
            return set()
        return {i for i in self.text.all_ids()
                if (r := self.row_of.get(i)) is None or not self.live[r]}

    # -- rows -----------------------------------------------------------------------------------
    def _index_ids(self, ids: np.ndarray, rows: np.ndarray) -> None:
        """Record ``row_by_id[id] = row`` (a dense array: ids are registry primary keys)."""
        keep = ids >= 0  # negative ids (not from the registry) are looked up in row_of
        ids, rows = ids[keep], rows[keep]
        if not len(ids):
            return
        top = int(ids.max())
        if top >= len(self.row_by_id):
            grown = np.full(max(top + 1, int(len(self.row_by_id) * 1.5)), -1, dtype=np.int64)
            grown[:len(self.row_by_id)] = self.row_by_id
            self.row_by_id = grown
        self.row_by_id[ids] = rows

    def rows_of(self, ids: np.ndarray) -> np.ndarray:
        """Return the row of each id (-1 where the id is not held)."""
        rows = np.full(len(ids), -1, dtype=np.int64)
        inside = (ids >= 0) & (ids < len(self.row_by_id))
        rows[inside] = self.row_by_id[ids[inside]]
        for i in np.flatnonzero(~inside).tolist():
            rows[i] = self.row_of.get(int(ids[i]), -1)
        return rows

    def _row_fields(self, row: int) -> tuple[dict[str, Any], dict[str, Any]]:
        blob = self.blobs[row]
        if blob is None:
            return {}, {}
        fields, payload = pickle.loads(blob)
        return fields, payload

    def _ensure_capacity(self, n: int) -> None:
        cap = len(self.live)
        if n <= cap:
            return
        new_cap = max(n, int(cap * 1.5))
        self.vectors.grow(new_cap)
        self.filters.grow(cap, new_cap)
        self.live = np.concatenate([self.live, np.zeros(new_cap - cap, dtype=bool)])

    # -- changes --------------------------------------------------------------------------------
    def _newest(self, docs: Sequence[Document]) -> list[Document]:
        """Return the documents newer than what is stored (the newest of each id in a batch)."""
        newest: dict[int, Document] = {}
        for d in docs:
            if d.version > self.versions.get(d.id, 0) and (
                    d.id not in newest or d.version > newest[d.id].version):
                newest[d.id] = d
        return list(newest.values())

    def _prepare(self, docs: list[Document]) -> tuple[dict[str, Any], np.ndarray, list[bytes]]:
        """Check and convert a batch completely before anything is changed.

        :raises InvalidDocumentError: a document the index cannot hold.
        """
        typed = self.filters.prepare(docs)
        vecs = self.vectors.prepare(docs)
        dumps, proto = pickle.dumps, pickle.HIGHEST_PROTOCOL
        try:
            blobs = [dumps((dict(d.fields), dict(d.payload)), protocol=proto) for d in docs]
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise InvalidDocumentError(f"fields or payload cannot be stored ({exc})") from exc
        for d in docs:
            if not isinstance(d.text, str | None):
                raise InvalidDocumentError(f"document {d.id}: text is not a string")
        return typed, vecs, blobs

    def _apply_upsert(self, batch: list[Document], typed: dict[str, Any], vecs: np.ndarray,
                      blobs: list[bytes], w: tantivy.IndexWriter | None, replay: bool) -> None:
        """Apply a prepared batch to memory and queue it in tantivy (the caller commits).

        :param replay: tantivy may already hold a new id (it committed before a crash).
        """
        ids = np.fromiter((d.id for d in batch), np.int64, len(batch))
        self._ensure_capacity(len(self.ids) + len(batch))
        rows = []
        for d in batch:
            row = self.row_of.get(d.id)
            if row is None:
                row = len(self.ids)
                self.ids.append(d.id)
                self.blobs.append(None)
                self.row_of[d.id] = row
                if replay and w is not None:
                    w.delete_documents_by_term("id", d.id)
            elif w is not None:
                w.delete_documents_by_term("id", d.id)
            rows.append(row)
            self.versions[d.id] = d.version
            self.tombstones.discard(d.id)
        r = np.asarray(rows, dtype=np.int64)
        self.filters.set_rows(r, typed)
        for row, blob in zip(rows, blobs, strict=True):
            self.blobs[row] = blob
        self.n_live += int(np.count_nonzero(~self.live[r]))
        self.live[r] = True
        self._index_ids(ids, r)
        if w is not None:
            for td in self.text.documents(batch, typed):
                w.add_document(td)
        # The IVF assignment (numpy) runs while tantivy's indexing thread works through the
        # queued documents; the caller's commit then waits for what is left.
        self.vectors.set_rows(r, vecs, len(self.ids), self.n_live)

    def _apply_delete(self, doc_id: int, version: int, w: tantivy.IndexWriter | None,
                      replay: bool) -> bool:
        """Tombstone ``doc_id`` at ``version`` in memory; return whether tantivy must commit."""
        self.versions[doc_id] = version
        self.tombstones.add(doc_id)
        row = self.row_of.get(doc_id)
        if row is not None and self.live[row]:
            self.filters.drop_caches()
            self.live[row] = False
            self.n_live -= 1
            self.blobs[row] = None
            if w is not None:
                w.delete_documents_by_term("id", doc_id)
                return True
        elif replay and w is not None:
            w.delete_documents_by_term("id", doc_id)
        return False

    # -- reading --------------------------------------------------------------------------------
    def count(self, filters: Filter) -> int:
        """Return how many live documents pass the filter."""
        with self.lock:
            if not filters:
                return self.n_live
            return self.filters.count(filters, self.live[:len(self.ids)])

    def search(self, text: str | None, vector: np.ndarray | None, filters: Filter,
               k: int) -> list[Hit]:
        """Hybrid retrieval under the filter (see ``SearchBackend.search``)."""
        with self.lock:
            n = len(self.ids)
            m = self.filters.mask(filters, self.live[:n])
            kw = (self.text.search(text, filters, k, m, self.n_live, self.rows_of)
                  if text else {})
            rows = {r for i in kw if (r := self.row_of.get(i)) is not None}
            if vector is not None and n and k > 0:
                rows.update(self.vectors.nearest(vector, m, k).tolist())
            rows_arr = np.fromiter((r for r in rows if m[r]), dtype=np.int64)
            sims = (self.vectors.cosines(rows_arr, vector)
                    if vector is not None and len(rows_arr) else [0.0] * len(rows_arr))
            hits = []
            for r, sim in zip(rows_arr.tolist(), sims, strict=True):
                doc_id = self.ids[r]
                fields, payload = self._row_fields(r)
                hits.append(Hit(id=doc_id, keyword_score=kw.get(doc_id, 0.0),
                                vector_score=float(sim), fields=fields, payload=payload))
            return hits

    def get(self, doc_id: int) -> Document | None:
        """Return a live document or None."""
        with self.lock:
            row = self.row_of.get(doc_id)
            if row is None or not self.live[row]:
                return None
            fields, payload = self._row_fields(row)
            return Document(id=doc_id, version=self.versions[doc_id], text="",
                            vector=self.vectors.matrix[row].copy(), fields=fields,
                            payload=payload)

    def live_versions(self) -> dict[int, int]:
        """Return ``{id: version}`` of every live document."""
        with self.lock:
            return {i: self.versions[i] for r, i in enumerate(self.ids) if self.live[r]}


def _blob(fields: dict[str, Any], payload: dict[str, Any]) -> bytes:
    return pickle.dumps((fields, payload), protocol=pickle.HIGHEST_PROTOCOL)
