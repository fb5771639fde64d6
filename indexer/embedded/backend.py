"""``EmbeddedBackend``: logical indexes as folders of physical versions, and their rebuilds."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.ann import ProbeParams
from indexer.embedded.keyword import TWO_STEP_MIN_SHARE, KeywordForm
from indexer.embedded.physical import PhysicalIndex
from indexer.protocol import (
    Document,
    Filter,
    Hit,
    IndexSchema,
    Rebuild,
    UnknownIndexError,
)


@dataclass(frozen=True, slots=True)
class EmbeddedStats:
    """What an open embedded index holds (for benchmarks, diagnostics and tests)."""

    folder: Path  # the live physical version's folder
    journal: Path  # the journal the next write appends to
    live: int  # live documents
    rows: int  # rows, deleted ones included
    ivf_lists: int  # IVF lists of the vector index (0: exact scan)
    replayed: int  # journal records replayed when the version was last loaded


class EmbeddedRebuild(Rebuild):
    """A new physical version of an embedded index (see :class:`indexer.protocol.Rebuild`)."""

    def __init__(self, backend: EmbeddedBackend, index: str, name: str,
                 physical: PhysicalIndex) -> None:
        super().__init__(index)
        self._backend = backend
        self.name = name
        self._physical = physical

    def upsert(self, docs: Sequence[Document]) -> int:
        """Write documents into the version being built (not journalled: it is snapshotted
        before it goes live)."""
        return self._physical.upsert(docs, journal=False)

    def _commit(self) -> None:
        self._backend._swap(self.index, self.name, self._physical)

    def _abort(self) -> None:
        self._physical.abandon()
        shutil.rmtree(self._physical.path, ignore_errors=True)


class EmbeddedBackend:
    """The default search backend: everything in-process, persisted under ``root``.

    :param root: folder holding one sub-folder per logical index.
    :param flush_interval_s: least time between two snapshots of a written index.
    :param exact_vectors: scan every eligible vector instead of using the IVF index (the
        benchmarks' baseline).
    :param keyword: ``"two_step"`` (default) or ``"conjunction"``, the one-query form of the
        keyword leg (the tests' and benchmarks' reference; same hits and scores, slower).
    :param two_step_min_share: eligible share below which the keyword leg runs as the
        conjunction anyway (a selective filter).
    :param probe: IVF probing parameters (None: ``indexer.ann``'s defaults).
    """

    name = "embedded"

    def __init__(self, root: Path, flush_interval_s: float = 2.0, *,
                 exact_vectors: bool = False, keyword: KeywordForm = "two_step",
                 two_step_min_share: float = TWO_STEP_MIN_SHARE,
                 probe: ProbeParams | None = None) -> None:
        self.root = Path(root)
        self.flush_interval_s = flush_interval_s
        self._options = {"exact_vectors": exact_vectors, "keyword": keyword,
                         "two_step_min_share": two_step_min_share, "probe": probe}
        self._schemas: dict[str, IndexSchema] = {}
        self._live: dict[str, tuple[str, PhysicalIndex]] = {}
        self._lock = threading.RLock()
        self._current_cache: dict[str, tuple[tuple[int, int, int], str]] = {}

    def _open_physical(self, path: Path, schema: IndexSchema) -> PhysicalIndex:
        return PhysicalIndex(path, schema, **self._options)  # type: ignore[arg-type]

    def _current_name(self, index: str) -> str | None:
        # CURRENT is replaced atomically on a swap (new inode), so a stat tells whether the
        # cached name is still right without reading the file on every call.
        f = self.root / index / "CURRENT"
        try:
            st = f.stat()
        except FileNotFoundError:
            self._current_cache.pop(index, None)
            return None
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        cached = self._current_cache.get(index)
        if cached is not None and cached[0] == key:
            return cached[1]
        name = f.read_text().strip()
        self._current_cache[index] = (key, name)
        return name

    def _schema(self, index: str) -> IndexSchema:
        schema = self._schemas.get(index)
        if schema is None:
            raise UnknownIndexError(f"no such index: {index!r} (ensure_index it first)")
        return schema

    def _physical(self, index: str) -> PhysicalIndex:
        with self._lock:
            schema = self._schema(index)
            current = self._current_name(index)
            if current is None:
                raise UnknownIndexError(f"no such index: {index!r}")
            held = self._live.get(index)
            if held is None or held[0] != current:
                # Another process (``shetu reindex``) may have swapped the version: reopen.
                if held is not None:
                    held[1].close()
                self._live[index] = (current, self._open_physical(self.root / index / current,
                                                                  schema))
            return self._live[index][1]

    def _write_current(self, index: str, physical: str) -> None:
        tmp = self.root / index / "CURRENT.tmp"
        tmp.write_text(physical)
        tmp.replace(self.root / index / "CURRENT")

    # -- SearchBackend ----------------------------------------------------------------------------
    def ensure_index(self, schema: IndexSchema) -> None:
        """Create the index with a first version ``v1`` if it does not exist."""
        with self._lock:
            self._schemas[schema.name] = schema
            if self._current_name(schema.name) is None:
                (self.root / schema.name / "v1").mkdir(parents=True, exist_ok=True)
                self._write_current(schema.name, "v1")

    def upsert(self, index: str, docs: Sequence[Document]) -> int:
        """Insert or replace documents unless a newer version is stored."""
        p = self._physical(index)
        n = p.upsert(docs)
        p.flush(interval=self.flush_interval_s)
        return n

    def delete(self, index: str, doc_id: int, version: int) -> bool:
        """Delete a document, leaving a tombstone."""
        p = self._physical(index)
        ok = p.delete(doc_id, version)
        p.flush(interval=self.flush_interval_s)
        return ok

    def get(self, index: str, doc_id: int) -> Document | None:
        """Return a live document or None."""
        return self._physical(index).get(doc_id)

    def search(self, index: str, *, text: str | None, vector: np.ndarray | None,
               filters: Filter = (), k: int = 10) -> list[Hit]:
        """Hybrid retrieval: BM25 top-k ∪ vector top-k, both under the filter."""
        return self._physical(index).search(text, vector, filters, k)

    def count(self, index: str, filters: Filter = ()) -> int:
        """Count live documents matching the filter."""
        return self._physical(index).count(filters)

    def versions(self, index: str) -> dict[int, int]:
        """Return ``{id: version}`` of live documents."""
        return self._physical(index).live_versions()

    def rebuild(self, index: str) -> EmbeddedRebuild:
        """Create the next physical version beside the live one."""
        with self._lock:
            schema = self._schema(index)
            current = self._current_name(index) or "v0"
            existing = [int(p.name[1:]) for p in (self.root / index).glob("v*")
                        if p.name[1:].isdigit()]
            name = f"v{max(existing + [int(current[1:])]) + 1}"
            physical = self._open_physical(self.root / index / name, schema)
            return EmbeddedRebuild(self, index, name, physical)

    def _swap(self, index: str, name: str, new: PhysicalIndex) -> None:
        """Snapshot the new version, point CURRENT at it, and remove the old one."""
        with self._lock:
            new.close()
            old = self._current_name(index)
            self._write_current(index, name)
            held = self._live.pop(index, None)
            if held is not None:
                held[1].close()
            self._live[index] = (name, new)
            if old and old != name:
                shutil.rmtree(self.root / index / old, ignore_errors=True)

    def drop_index(self, index: str) -> None:
        """Delete every version of the index."""
        with self._lock:
            held = self._live.pop(index, None)
            if held is not None:
                held[1].close()
            self._schemas.pop(index, None)
            shutil.rmtree(self.root / index, ignore_errors=True)

    def flush(self) -> None:
        """Persist every open index now."""
        with self._lock:
            for _, p in self._live.values():
                p.flush(force=True)

    def close(self) -> None:
        """Flush and release every open index."""
        with self._lock:
            for _, p in self._live.values():
                p.close()
            self._live.clear()

    # -- diagnostics (benchmarks, tests, ``shetu index``) -----------------------------------------
    def stats(self, index: str) -> EmbeddedStats:
        """Return what the live version of ``index`` holds."""
        p = self._physical(index)
        with p.lock:
            ann = p.vectors.ann
            return EmbeddedStats(folder=p.path, journal=p.journal.path, live=p.n_live,
                                 rows=len(p.ids),
                                 ivf_lists=0 if ann.centroids is None else len(ann.centroids),
                                 replayed=p.replayed)

    def keyword_ids(self, index: str) -> list[int]:
        """Return every id the text index of ``index`` holds, duplicates included, sorted."""
        return sorted(self._physical(index).text.all_ids())

    def drop_caches(self) -> None:
        """Forget every cached filter mask and count (benchmarks: no query reuses another's)."""
        with self._lock:
            for _, p in self._live.values():
                p.filters.drop_caches()

    def abandon(self) -> None:
        """Let go of every open index without a snapshot or commit, as ``kill -9`` would.

        For crash tests: what was acknowledged is in the journals; the next open replays it.
        """
        with self._lock:
            for _, p in self._live.values():
                p.abandon()
            self._live.clear()
