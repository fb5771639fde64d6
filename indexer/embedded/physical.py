"""One physical index version: rows, filter columns, vectors and tantivy, kept durable.

See :mod:`indexer.embedded` for the layout, the durability rules and the writer lock.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import tantivy

from indexer.ann import ProbeParams
from indexer.embedded import store
from indexer.embedded.keyword import TWO_STEP_MIN_SHARE, KeywordForm, TextIndex
from indexer.embedded.masks import FilterColumns
from indexer.embedded.vectors import VectorStore
from indexer.protocol import (
    Document,
    Filter,
    Hit,
    IndexSchema,
    InvalidDocumentError,
    InvalidFilterError,
    SearchUnavailableError,
)

log = logging.getLogger(__name__)
WRITER_WAIT_S = 5.0  # how long a write waits for another process's writer lock
_MIN_CAP = 1024


class PhysicalIndex:
    """One physical index version, guarded by a lock (``lock``)."""

    def __init__(self, path: Path, schema: IndexSchema, *, exact_vectors: bool = False,
                 keyword: KeywordForm = "two_step", two_step_min_share: float = TWO_STEP_MIN_SHARE,
                 probe: ProbeParams | None = None) -> None:
        self.path = path
        self.schema = schema
        self.lock = threading.RLock()
        self._writer: tantivy.IndexWriter | None = None
        self._dirty = False
        self._last_flush = 0.0
        self._flush_cost = 0.0
        self.gen = 0
        self.journal = store.Journal(path / "journal-0.wal")
        self._loaded_key: tuple = ()
        self.replayed = 0  # journal records replayed by the last load
        path.mkdir(parents=True, exist_ok=True)
        self.text = TextIndex(path / "tantivy", schema.fields, form=keyword,
                              min_share=two_step_min_share)
        self.vectors = VectorStore(schema.dim, _MIN_CAP, exact=exact_vectors, probe=probe)
        with self.lock:
            self._load_state()

    # -- loading --------------------------------------------------------------------------------
    def _load_state(self) -> None:
        """Load the snapshot and replay its journal (retried if a snapshot lands meanwhile)."""
        for _ in range(10):
            before = store.disk_key(self.path, self.journal)[0]
            self._load_snapshot()
            self._replay_journal()
            key = store.disk_key(self.path, self.journal)
            if key[0] == before:
                self._loaded_key = key
                break
            self.journal.close()  # another process took a snapshot while we read: again
        self.n_live = int(np.count_nonzero(self.live[:len(self.ids)]))
        if self._writer is not None:
            self._drop_tantivy_orphans()

    def _load_snapshot(self) -> None:
        st = store.read_snapshot(self.path)
        fields = self.schema.fields
        if st is None:
            self.gen = 0
            self.ids: list[int] = []
            self.versions: dict[int, int] = {}
            self.tombstones: set[int] = set()
            self.blobs: list[bytes | None] = []
            self.live = np.zeros(_MIN_CAP, dtype=bool)
            self.filters = FilterColumns(fields, _MIN_CAP)
            self.vectors.load(None, 0, _MIN_CAP, None)
        else:
            fmt = int(st.get("format", 1))
            self.gen = int(st.get("journal_gen", 0))
            self.ids, self.versions, self.tombstones = st["ids"], st["versions"], st["tombstones"]
            n = len(self.ids)
            if "blobs" in st:
                self.blobs = st["blobs"]
            else:  # format 1: separate lists of dicts
                self.blobs = [None if f is None else _blob(f, p)
                              for f, p in zip(st["fields"], st["payloads"], strict=True)]
            cap = max(n, _MIN_CAP)
            self.filters = FilterColumns.from_state(fields, st, n, cap, fmt)
            self.live = np.zeros(cap, dtype=bool)
            self.live[:n] = st["live"][:n]
            self.vectors.load(store.read_vectors(self.path) if n else None, n, cap,
                              st.get("ann"))
        self.journal = store.Journal(self.path / f"journal-{self.gen}.wal")
        self.row_of = {i: r for r, i in enumerate(self.ids)}
        self.row_by_id = np.full(0, -1, dtype=np.int64)
        self._index_ids(np.asarray(self.ids, dtype=np.int64),
                        np.arange(len(self.ids), dtype=np.int64))
        self.n_live = int(np.count_nonzero(self.live[:len(self.ids)]))

    def _replay_journal(self) -> None:
        """Apply the journal of the loaded snapshot: to tantivy too when this process may."""
        self.replayed = 0
        if self.journal.size() == 0:
            if self._writer is not None:
                store.remove_other_journals(self.path, self.journal.path)
            return
        borrowed = self._writer is None
        if borrowed:
            with contextlib.suppress(ValueError):  # held by another process: memory only
                self._writer = self.text.writer()
        good_end = 0
        for end, record in store.Journal.read(self.journal.path):
            try:
                if record[0] == "u":
                    _, ids, versions, texts, vectors, blobs = record
                    docs = []
                    for i, doc_id in enumerate(ids.tolist()):
                        fields, payload = pickle.loads(blobs[i])
                        docs.append(Document(id=doc_id, version=int(versions[i]), text=texts[i],
                                             vector=vectors[i], fields=fields, payload=payload))
                    self._upsert_locked(docs, journal=False, replay=True)
                else:
                    _, doc_id, version = record
                    self._delete_locked(doc_id, version, journal=False, replay=True)
            except (InvalidDocumentError, InvalidFilterError, ValueError, TypeError,
                    IndexError) as exc:
                # Never fail opening the index; the registry reconcile repairs what is lost.
                log.error("index %s: skipped a journal record that cannot be applied: %s",
                          self.path, exc)
            good_end = end
            self.replayed += 1
        if self._writer is None:
            return
        size = self.journal.size()
        if good_end < size:
            log.warning("index %s: ignored a torn journal record (%d bytes) after %d intact "
                        "records (a crash during a write that was never acknowledged)",
                        self.path, size - good_end, self.replayed)
            self.journal.truncate(good_end)
        if self.replayed:
            self._writer.commit()
            self.text.index.reload()
            self._dirty = True  # the next snapshot (by whoever writes next) folds it in
            log.info("index %s: replayed %d journal records after the last snapshot",
                     self.path, self.replayed)
        store.remove_other_journals(self.path, self.journal.path)
        if borrowed:
            # Taken only to replay: let go, so that a reader (``shetu index verify``) does not
            # keep a serving process from writing; the next write here takes it again.
            self._drop_tantivy_orphans()
            self._writer.wait_merging_threads()
            self._writer = None

    def _drop_tantivy_orphans(self) -> None:
        """Delete tantivy documents of ids the state does not hold live (an older crash)."""
        if self.text.index.searcher().num_docs <= self.n_live:
            return
        stray = {i for i in self.text.all_ids()
                 if (r := self.row_of.get(i)) is None or not self.live[r]}
        if not stray or self._writer is None:
            return
        for i in stray:
            self._writer.delete_documents_by_term("id", i)
        self._writer.commit()
        self.text.index.reload()
        log.warning("index %s: removed %d tantivy documents absent from the state",
                    self.path, len(stray))

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

    # -- snapshots ------------------------------------------------------------------------------
    def flush(self, force: bool = False, interval: float = 2.0) -> None:
        """Take a snapshot if dirty and the interval passed (or forced); drop the old journal.

        Only the process holding the writer lock takes snapshots (another one may only have
        replayed the journal into memory).
        """
        with self.lock:
            if not self._dirty or self._writer is None:
                return
            wait = max(interval, 10 * self._flush_cost)
            if not force and time.monotonic() - self._last_flush < wait:
                return
            if not self.path.exists():  # this version was replaced and removed by a rebuild
                return
            t0 = time.monotonic()
            n = len(self.ids)
            new_gen = self.gen + 1
            state = {"ids": self.ids, "versions": self.versions, "tombstones": self.tombstones,
                     "blobs": self.blobs, **self.filters.state(n), "live": self.live[:n],
                     "ann": self.vectors.state(n), "journal_gen": new_gen}
            store.write_snapshot(self.path, state, self.vectors.matrix[:n])
            # The snapshot holds everything the journal did: start the next generation.
            self.journal.close()
            old = self.journal.path
            self.gen = new_gen
            self.journal = store.Journal(self.path / f"journal-{new_gen}.wal")
            with contextlib.suppress(FileNotFoundError):
                old.unlink()
            self._loaded_key = store.disk_key(self.path, self.journal)
            self._dirty = False
            self._last_flush = time.monotonic()
            self._flush_cost = self._last_flush - t0

    # -- writing --------------------------------------------------------------------------------
    def _own(self) -> None:
        """Take tantivy's writer lock before a write; reload first if another process wrote."""
        if self._writer is not None:
            return
        deadline = time.monotonic() + WRITER_WAIT_S
        while True:
            try:
                self._writer = self.text.writer()
                break
            except ValueError as exc:  # another process holds it (a replay is brief): wait
                if time.monotonic() > deadline:
                    raise SearchUnavailableError(
                        f"the index {self.path} is being written by another process ({exc})"
                    ) from exc
                time.sleep(0.05)
        if store.disk_key(self.path, self.journal) != self._loaded_key:
            log.info("index %s changed on disk since it was opened: reloading", self.path)
            self._load_state()
        else:
            self._drop_tantivy_orphans()

    def upsert(self, docs: Sequence[Document], *, journal: bool = True) -> int:
        """Insert or replace documents unless a newer version is stored; durable on return.

        :param journal: append the batch to the journal first (off for a version being
            rebuilt, which is snapshotted before it goes live).
        :raises InvalidDocumentError: a document the index cannot hold; nothing was written.
        """
        if not docs:
            return 0
        with self.lock:
            self._own()
            return self._upsert_locked(docs, journal=journal, replay=False)

    def _prepare(self, docs: list[Document]) -> tuple[dict[str, Any], np.ndarray, list[bytes]]:
        """Check and convert a batch completely before anything is changed."""
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

    def _upsert_locked(self, docs: Sequence[Document], *, journal: bool, replay: bool) -> int:
        newest: dict[int, Document] = {}  # the newest version of each id within the batch
        for d in docs:
            if d.version > self.versions.get(d.id, 0) and (
                    d.id not in newest or d.version > newest[d.id].version):
                newest[d.id] = d
        if not newest:
            return 0
        batch = list(newest.values())
        typed, vecs, blobs = self._prepare(batch)
        ids = np.fromiter((d.id for d in batch), np.int64, len(batch))
        if journal:
            try:
                self.journal.append(("u", ids, np.fromiter((d.version for d in batch), np.int64,
                                                           len(batch)),
                                     [d.text or "" for d in batch], vecs, blobs))
            except OSError as exc:
                raise SearchUnavailableError(f"cannot write the index journal: {exc}") from exc
        self._ensure_capacity(len(self.ids) + len(batch))
        w = self._writer
        rows = []
        for d in batch:
            row = self.row_of.get(d.id)
            if row is None:
                row = len(self.ids)
                self.ids.append(d.id)
                self.blobs.append(None)
                self.row_of[d.id] = row
                if replay and w is not None:  # tantivy may already hold it (committed earlier)
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
        # queued documents; the commit then waits for what is left.
        self.vectors.set_rows(r, vecs, len(self.ids), self.n_live)
        if w is not None and not replay:
            w.commit()
            self.text.index.reload()
        self._dirty = True
        return len(batch)

    def delete(self, doc_id: int, version: int) -> bool:
        """Delete a document, leaving a tombstone; durable on return."""
        with self.lock:
            if version < self.versions.get(doc_id, 0):
                return False
            self._own()
            return self._delete_locked(doc_id, version, journal=True, replay=False)

    def _delete_locked(self, doc_id: int, version: int, *, journal: bool, replay: bool) -> bool:
        if version < self.versions.get(doc_id, 0):
            return False
        if journal:
            try:
                self.journal.append(("d", int(doc_id), int(version)))
            except OSError as exc:
                raise SearchUnavailableError(f"cannot write the index journal: {exc}") from exc
        self.versions[doc_id] = version
        self.tombstones.add(doc_id)
        row = self.row_of.get(doc_id)
        w = self._writer
        if row is not None and self.live[row]:
            self.filters.drop_caches()
            self.live[row] = False
            self.n_live -= 1
            self.blobs[row] = None
            if w is not None:
                w.delete_documents_by_term("id", doc_id)
                if not replay:
                    w.commit()
                    self.text.index.reload()
        elif replay and w is not None:
            w.delete_documents_by_term("id", doc_id)
        self._dirty = True
        return True

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

    def close(self) -> None:
        """Snapshot if dirty, then let go of the writer lock and the journal."""
        with self.lock:
            self.flush(force=True)
            if self._writer is not None:
                self._writer.wait_merging_threads()
                self._writer = None
            self.journal.close()

    def abandon(self) -> None:
        """Let go of everything without a snapshot or a commit, as a killed process would."""
        with self.lock:
            self._writer = None
            self.journal.close()


def _blob(fields: dict[str, Any], payload: dict[str, Any]) -> bytes:
    return pickle.dumps((fields, payload), protocol=pickle.HIGHEST_PROTOCOL)
