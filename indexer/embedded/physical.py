"""One physical index version kept durable: snapshot, journal, replay and tantivy's writer lock.

The contents in memory and the reads are :class:`~indexer.embedded.contents.Contents`; this
module adds what makes them survive a crash. See :mod:`indexer.embedded` for the layout, the
durability rules and the writer lock.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import tantivy

from indexer.ann import ProbeParams
from indexer.embedded import store
from indexer.embedded.contents import Contents
from indexer.embedded.keyword import TWO_STEP_MIN_SHARE, KeywordForm
from indexer.protocol import (
    Document,
    IndexSchema,
    InvalidDocumentError,
    InvalidFilterError,
    SearchUnavailableError,
)

log = logging.getLogger(__name__)
WRITER_WAIT_S = 5.0  # how long a write waits for another process's writer lock


class PhysicalIndex(Contents):
    """One physical index version on disk, guarded by a lock (``lock``)."""

    def __init__(self, path: Path, schema: IndexSchema, *, exact_vectors: bool = False,
                 keyword: KeywordForm = "two_step", two_step_min_share: float = TWO_STEP_MIN_SHARE,
                 probe: ProbeParams | None = None) -> None:
        self.path = path
        self._writer: tantivy.IndexWriter | None = None
        self._dirty = False
        self._last_flush = 0.0
        self._flush_cost = 0.0
        self.gen = 0
        self.journal = store.Journal(path / "journal-0.wal")
        self._loaded_key: tuple = ()
        self.replayed = 0  # journal records replayed by the last load
        path.mkdir(parents=True, exist_ok=True)
        super().__init__(path, schema, exact_vectors=exact_vectors, keyword=keyword,
                         two_step_min_share=two_step_min_share, probe=probe)
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
        self.gen = 0 if st is None else int(st.get("journal_gen", 0))
        self._set_rows(st, store.read_vectors(self.path) if st is not None and st["ids"]
                       else None)
        self.journal = store.Journal(self.path / f"journal-{self.gen}.wal")

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
        stray = self._stray_text_ids()
        if not stray or self._writer is None:
            return
        for i in stray:
            self._writer.delete_documents_by_term("id", i)
        self._writer.commit()
        self.text.index.reload()
        log.warning("index %s: removed %d tantivy documents absent from the state",
                    self.path, len(stray))

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
            new_gen = self.gen + 1
            state = {**self._state(), "journal_gen": new_gen}
            store.write_snapshot(self.path, state, self.vectors.matrix[:len(self.ids)])
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

    def _upsert_locked(self, docs: Sequence[Document], *, journal: bool, replay: bool) -> int:
        batch = self._newest(docs)
        if not batch:
            return 0
        typed, vecs, blobs = self._prepare(batch)
        if journal:
            try:
                self.journal.append(("u", np.fromiter((d.id for d in batch), np.int64, len(batch)),
                                     np.fromiter((d.version for d in batch), np.int64,
                                                 len(batch)),
                                     [d.text or "" for d in batch], vecs, blobs))
            except OSError as exc:
                raise SearchUnavailableError(f"cannot write the index journal: {exc}") from exc
        w = self._writer
        self._apply_upsert(batch, typed, vecs, blobs, w, replay)
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
        w = self._writer
        if self._apply_delete(doc_id, version, w, replay) and w is not None and not replay:
            w.commit()
            self.text.index.reload()
        self._dirty = True
        return True

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
