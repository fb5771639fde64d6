"""Embedded search backend: tantivy for BM25 and filters, numpy vectors and columns on disk.

Layout under ``root``::

    <index>/CURRENT             name of the live physical version, e.g. ``v3``
    <index>/v3/tantivy/         BM25 index (text + filter fields)
    <index>/v3/state.pkl        snapshot: ids, versions, tombstones, filter columns, per-row
                                fields+payload (one pickled blob per row), the vector index's
                                lists, and the generation ``g`` of the journal that follows it
    <index>/v3/vectors.npy      snapshot: float32 unit vectors, one row per document
    <index>/v3/journal-<g>.wal  every write acknowledged since that snapshot (append-only)

Filters are evaluated as numpy masks over narrow columns (dates int32, booleans int8, keyword
codes int32, multi-valued keywords as a bit matrix: one uint64 word per 64 distinct values, a
word added when the vocabulary outgrows the last one; values past ``BITMAP_VALUES`` keep a
posting set each, so no number of distinct values can fail a write or exhaust memory); each
clause's mask is cached until the next write, so the per-rule ``count`` calls of a ranking flow
reuse the search's masks. The keyword leg runs the same filter as a tantivy query, so both legs
see exactly the eligible documents.

The vector leg scans exactly below ``ann.MIN_TRAIN`` rows; above, an IVF index (``indexer.ann``)
picks the rows nearest the query among those passing the filter mask, and scores them exactly.

Durability: a write is durable when ``upsert``/``delete`` returns. Each batch is first checked
and converted completely (a document the index cannot hold raises :class:`InvalidFilterError`
and changes nothing), then appended to the journal as one length- and CRC32-framed record and
fsync'ed, and only then applied to memory and committed to tantivy. A full snapshot (state.pkl
+ vectors.npy, fsync'ed and renamed into place) is taken at most every ``flush_interval_s``
seconds (or ten times the last snapshot's duration, so a large index does not spend its time
pickling) and on close; it starts the next journal generation and removes the previous journal.
Opening an index loads the snapshot and replays its journal: in tantivy each replayed id is
deleted by term before it is re-added (tantivy commits on every write, so it may hold documents
the snapshot does not), and a torn last record (a crash mid-append) fails its length or checksum
and is dropped — it was never acknowledged. So after a crash (``kill -9``, power loss after the
fsync) every acknowledged write is back, with no manual step.

One process writes an index at a time: a write takes tantivy's writer lock (and keeps it), and
only the holder appends to the journal or takes snapshots. Opening an index takes the lock just
for the replay and lets it go; if another process holds it (``shetu index verify`` beside a
running server) the journal is replayed into memory only. A process taking the lock reloads
first if the files changed since it read them. A write that cannot get the lock within
``WRITER_WAIT_S`` raises :class:`SearchUnavailableError` (transient: the outbox keeps it).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import re
import shutil
import struct
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import tantivy

from indexer.ann import IVFIndex
from indexer.filters import coerce, validate
from indexer.protocol import (
    Document,
    Filter,
    Hit,
    IndexSchema,
    InvalidFilterError,
    SearchUnavailableError,
)

log = logging.getLogger(__name__)
_TOKEN = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_TERMS = 64
MISSING = np.iinfo(np.int64).min  # int columns (int64)
MISSING32 = np.iinfo(np.int32).min  # date and keyword-code columns (int32)
MISSING8 = -1  # bool columns (int8): 0 false, 1 true, -1 missing
MASK_CACHE_SIZE = 64
STATE_FORMAT = 3  # 3: multi-valued keywords as a (words, rows) uint64 bit matrix + postings
TWO_STEP_MIN_SHARE = 0.1  # below this eligible share the BM25 leg runs as one conjunction
WRITER_WAIT_S = 5.0  # how long a write waits for another process's writer lock
BITMAP_VALUES = 1024  # distinct values of one multi-valued field kept in the bit matrix
_FRAME = struct.Struct("<II")  # journal record header: payload length, CRC32 of the payload
_MAX_RECORD = 1 << 34


def query_terms(text: str) -> list[str]:
    """Return the distinct lower-cased word tokens of a keyword query (at most 64)."""
    return list(dict.fromkeys(t.lower() for t in _TOKEN.findall(text or "")))[:MAX_QUERY_TERMS]


def _column_spec(ftype: str) -> tuple[np.dtype, Any]:
    """Return (dtype, missing value) of the filter column for a field type."""
    if ftype == "float":
        return np.dtype(np.float64), np.nan
    if ftype in ("date", "keyword"):
        return np.dtype(np.int32), MISSING32
    if ftype == "bool":
        return np.dtype(np.int8), MISSING8
    if ftype == "keywords":
        return np.dtype(np.uint64), 0  # bit words: no bit set
    return np.dtype(np.int64), MISSING  # int


def _freeze(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class _Journal:
    """Append-only, fsync'ed write-ahead journal of one snapshot generation.

    A record is ``length (u32) | crc32 (u32) | payload`` with a pickled payload; reading stops
    at the first record that is short or fails its checksum (a torn append).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: Any = None

    def append(self, record: Any) -> None:
        payload = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        if self._fh is None:
            new = not self.path.exists()
            self._fh = open(self.path, "ab")  # noqa: SIM115 — kept open between appends
            if new:
                _fsync_dir(self.path.parent)
        fh = self._fh
        fh.write(_FRAME.pack(len(payload), zlib.crc32(payload)))
        fh.write(payload)
        fh.flush()
        os.fsync(fh.fileno())

    @staticmethod
    def read(path: Path) -> Iterator[tuple[int, Any]]:
        """Yield ``(end offset, record)`` of every intact record, in order."""
        try:
            fh = open(path, "rb")  # noqa: SIM115
        except FileNotFoundError:
            return
        with fh:
            offset = 0
            while True:
                head = fh.read(_FRAME.size)
                if len(head) < _FRAME.size:
                    return
                length, crc = _FRAME.unpack(head)
                if length > _MAX_RECORD:
                    return
                payload = fh.read(length)
                if len(payload) < length or zlib.crc32(payload) != crc:
                    return
                try:
                    record = pickle.loads(payload)
                except Exception:  # noqa: BLE001 — a damaged record ends the journal
                    return
                offset += _FRAME.size + length
                yield offset, record

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


class _Prepared:
    """A batch checked and converted to stored form, before anything is changed."""

    __slots__ = ("columns", "vectors", "blobs")

    def __init__(self, columns: dict[str, Any], vectors: np.ndarray, blobs: list[bytes]) -> None:
        self.columns = columns
        self.vectors = vectors
        self.blobs = blobs


class _Physical:
    """One physical index version: tantivy + numpy columns + vectors, guarded by a lock."""

    def __init__(self, path: Path, schema: IndexSchema) -> None:
        self.path = path
        self.schema = schema
        self.lock = threading.RLock()
        self._writer: tantivy.IndexWriter | None = None
        self._dirty = False
        self._last_flush = 0.0
        self._flush_cost = 0.0
        self.ann_enabled = True  # benchmarks switch it off to measure the exact scan
        self.keyword_two_step = True  # benchmarks switch it off to measure the one-query form
        self._masks: dict[tuple, np.ndarray] = {}
        self._counts: dict[tuple, int] = {}
        self._clause_max: dict[tuple, float] = {}
        self._date_memo: dict[str, int] = {}
        self.gen = 0
        self.journal = _Journal(self.path / "journal-0.wal")
        self._loaded_key: tuple = ()
        self.replayed = 0  # journal records replayed by the last load
        path.mkdir(parents=True, exist_ok=True)
        self.tschema = self._tantivy_schema()
        (path / "tantivy").mkdir(exist_ok=True)
        self.tindex = tantivy.Index(self.tschema, path=str(path / "tantivy"))
        with self.lock:
            self._load_state()

    # -- schema and state -------------------------------------------------------------------
    def _tantivy_schema(self) -> tantivy.Schema:
        sb = tantivy.SchemaBuilder()
        sb.add_integer_field("id", stored=True, indexed=True, fast=True)
        sb.add_text_field("text", stored=False, tokenizer_name="en_stem")
        for name, ftype in self.schema.fields.items():
            if ftype in ("keyword", "keywords"):
                sb.add_text_field(name, stored=False, tokenizer_name="raw")
            elif ftype == "float":
                sb.add_float_field(name, stored=False, indexed=True, fast=True)
            else:
                sb.add_integer_field(name, stored=False, indexed=True, fast=True)
        return sb.build()

    def _empty_columns(self, cap: int) -> dict[str, np.ndarray]:
        cols = {}
        for name, ftype in self.schema.fields.items():
            dtype, miss = _column_spec(ftype)
            cols[name] = (np.zeros((1, cap), dtype=dtype) if ftype == "keywords"
                          else np.full(cap, miss, dtype=dtype))
        return cols

    def _disk_key(self) -> tuple:
        """What identifies the on-disk state: the snapshot file and its journal's length."""
        try:
            st = (self.path / "state.pkl").stat()
            snap: tuple = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            snap = ()
        return snap, self.journal.size()

    def _load_state(self) -> None:
        """Load the snapshot and replay its journal (retried if a snapshot lands meanwhile)."""
        for _ in range(10):
            before = self._disk_key()[0]
            self._load_snapshot()
            self._replay_journal()
            key = self._disk_key()
            if key[0] == before:
                self._loaded_key = key
                break
            self.journal.close()  # another process took a snapshot while we read: again
        self.n_live = int(np.count_nonzero(self.live[:len(self.ids)]))
        if self._writer is not None:
            self._drop_tantivy_orphans()

    def _load_snapshot(self) -> None:
        state_file = self.path / "state.pkl"
        st = None
        if state_file.exists():
            with open(state_file, "rb") as fh:
                st = pickle.load(fh)
        self.extra: dict[str, dict[int, set[int]]] = {
            k: {} for k, t in self.schema.fields.items() if t == "keywords"}
        self.row_extra: dict[str, dict[int, tuple[int, ...]]] = {k: {} for k in self.extra}
        if st is None:
            self.gen = 0
            self.ids: list[int] = []
            self.versions: dict[int, int] = {}
            self.tombstones: set[int] = set()
            self.blobs: list[bytes | None] = []
            self.vocab: dict[str, dict[str, int]] = {
                k: {} for k, t in self.schema.fields.items() if t in ("keyword", "keywords")}
            self.vectors = np.zeros((1024, self.schema.dim), dtype=np.float32)
            self.live = np.zeros(1024, dtype=bool)
            self.columns = self._empty_columns(1024)
            self.ann = IVFIndex(self.schema.dim)
        else:
            fmt = int(st.get("format", 1))
            self.gen = int(st.get("journal_gen", 0))
            self.ids, self.versions, self.tombstones = st["ids"], st["versions"], st["tombstones"]
            self.vocab = st["vocab"]
            for k, t in self.schema.fields.items():
                if t in ("keyword", "keywords"):
                    self.vocab.setdefault(k, {})
            n = len(self.ids)
            if "blobs" in st:
                self.blobs = st["blobs"]
            else:  # format 1: separate lists of dicts
                self.blobs = [None if f is None else self._blob(f, p)
                              for f, p in zip(st["fields"], st["payloads"], strict=True)]
            cap = max(n, 1024)
            self.columns = self._empty_columns(cap)
            for name, ftype in self.schema.fields.items():
                old = st["columns"].get(name)
                if old is None:
                    continue
                if ftype == "keywords":
                    self.columns[name] = self._load_keywords(old, n, cap, fmt)
                    continue
                old = np.asarray(old)[:n]
                if old.dtype != self.columns[name].dtype and ftype != "float":
                    _, miss = _column_spec(ftype)
                    old = np.where(old == MISSING, miss, old)  # format 1 used int64 throughout
                self.columns[name][:n] = old
            for name, postings in (st.get("extra") or {}).items():
                if name in self.extra:
                    self.extra[name] = {c: set(rows) for c, rows in postings.items()}
                    per_row: dict[int, list[int]] = {}
                    for c, rows in postings.items():
                        for r in rows:
                            per_row.setdefault(r, []).append(c)
                    self.row_extra[name] = {r: tuple(cs) for r, cs in per_row.items()}
            self.live = np.zeros(cap, dtype=bool)
            self.live[:n] = st["live"][:n]
            self.vectors = np.zeros((cap, self.schema.dim), dtype=np.float32)
            if n:
                self.vectors[:n] = np.load(self.path / "vectors.npy", mmap_mode="r")[:n]
            self.ann = IVFIndex.from_state(self.schema.dim, st.get("ann"), n)
        self.journal = _Journal(self.path / f"journal-{self.gen}.wal")
        self.row_of = {i: r for r, i in enumerate(self.ids)}
        self.row_by_id = np.full(0, -1, dtype=np.int64)
        self._index_ids(np.asarray(self.ids, dtype=np.int64),
                        np.arange(len(self.ids), dtype=np.int64))
        self.n_live = int(np.count_nonzero(self.live[:len(self.ids)]))
        self.drop_caches()

    @staticmethod
    def _load_keywords(old: Any, n: int, cap: int, fmt: int) -> np.ndarray:
        old = np.asarray(old)
        if fmt < 3:  # one int64 bit set per row (62 values at most); MISSING: no value
            flat = old[:n].astype(np.int64)
            flat = np.where(flat == MISSING, 0, flat).astype(np.uint64)
            old = flat.reshape(1, -1)
        words = max(old.shape[0], 1)
        col = np.zeros((words, cap), dtype=np.uint64)
        col[:old.shape[0], :n] = old[:, :n]
        return col

    def _replay_journal(self) -> None:
        """Apply the journal of the loaded snapshot: to tantivy too when this process may."""
        self.replayed = 0
        path = self.journal.path
        if self.journal.size() == 0:
            if self._writer is not None:
                self._remove_old_journals()
            return
        borrowed = self._writer is None
        if borrowed:
            with contextlib.suppress(ValueError):  # held by another process: memory only
                self._writer = self.tindex.writer(heap_size=128_000_000, num_threads=1)
        good_end = 0
        for end, record in _Journal.read(path):
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
            except (InvalidFilterError, ValueError, TypeError, IndexError) as exc:
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
            with open(path, "r+b") as fh:
                fh.truncate(good_end)
                os.fsync(fh.fileno())
        if self.replayed:
            self._writer.commit()
            self.tindex.reload()
            self._dirty = True  # the next snapshot (by whoever writes next) folds it in
            log.info("index %s: replayed %d journal records after the last snapshot",
                     self.path, self.replayed)
        self._remove_old_journals()
        if borrowed:
            # Taken only to replay: let go, so that a reader (``shetu index verify``) does not
            # keep a serving process from writing; the next write here takes it again.
            self._drop_tantivy_orphans()
            self._writer.wait_merging_threads()
            self._writer = None

    def _remove_old_journals(self) -> None:
        for f in self.path.glob("journal-*.wal"):
            if f != self.journal.path:
                with contextlib.suppress(OSError):
                    f.unlink()

    def _drop_tantivy_orphans(self) -> None:
        """Delete tantivy documents of ids the state does not hold live (an older crash)."""
        searcher = self.tindex.searcher()
        if searcher.num_docs <= self.n_live:
            return
        hits = searcher.search(tantivy.Query.all_query(), limit=searcher.num_docs,
                               count=False).hits
        ids = searcher.fast_field_values("id", [a for _, a in hits]) if hits else []
        stray = {int(i) for i in ids
                 if (r := self.row_of.get(int(i))) is None or not self.live[r]}
        if not stray:
            return
        for i in stray:
            self._writer.delete_documents_by_term("id", i)  # type: ignore[union-attr]
        self._writer.commit()  # type: ignore[union-attr]
        self.tindex.reload()
        log.warning("index %s: removed %d tantivy documents absent from the state",
                    self.path, len(stray))

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

    @staticmethod
    def _blob(fields: dict[str, Any], payload: dict[str, Any]) -> bytes:
        return pickle.dumps((fields, payload), protocol=pickle.HIGHEST_PROTOCOL)

    def _row_fields(self, row: int) -> tuple[dict[str, Any], dict[str, Any]]:
        blob = self.blobs[row]
        if blob is None:
            return {}, {}
        return pickle.loads(blob)

    def _ensure_capacity(self, n: int) -> None:
        cap = self.vectors.shape[0]
        if n <= cap:
            return
        new_cap = max(n, int(cap * 1.5))
        try:  # in place (realloc/mremap): no second copy of a large matrix while growing
            self.vectors.resize((new_cap, self.schema.dim), refcheck=False)
        except ValueError:  # not owning its memory (e.g. loaded as a view): copy
            grown = np.zeros((new_cap, self.schema.dim), dtype=np.float32)
            grown[:cap] = self.vectors
            self.vectors = grown
        for k, col in list(self.columns.items()):
            ftype = self.schema.fields[k]
            _, miss = _column_spec(ftype)
            if ftype == "keywords":
                self.columns[k] = np.concatenate(
                    [col, np.zeros((col.shape[0], new_cap - cap), col.dtype)], axis=1)
            else:
                self.columns[k] = np.concatenate([col, np.full(new_cap - cap, miss, col.dtype)])
        self.live = np.concatenate([self.live, np.zeros(new_cap - cap, dtype=bool)])

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
            st = {"format": STATE_FORMAT, "ids": self.ids, "versions": self.versions,
                  "tombstones": self.tombstones, "blobs": self.blobs, "vocab": self.vocab,
                  "columns": {k: (v[:, :n] if v.ndim == 2 else v[:n])
                              for k, v in self.columns.items()},
                  "extra": {k: {c: sorted(rows) for c, rows in e.items() if rows}
                            for k, e in self.extra.items()},
                  "live": self.live[:n], "ann": self.ann.state(n), "journal_gen": new_gen}
            tmp = self.path / "state.pkl.tmp"
            with open(tmp, "wb") as fh:
                pickle.dump(st, fh, protocol=pickle.HIGHEST_PROTOCOL)
                fh.flush()
                os.fsync(fh.fileno())
            vtmp = self.path / "vectors.tmp.npy"
            with open(vtmp, "wb") as fh:
                np.save(fh, self.vectors[:n])
                fh.flush()
                os.fsync(fh.fileno())
            vtmp.replace(self.path / "vectors.npy")
            tmp.replace(self.path / "state.pkl")
            _fsync_dir(self.path)
            # The snapshot holds everything the journal did: start the next generation.
            self.journal.close()
            old = self.journal.path
            self.gen = new_gen
            self.journal = _Journal(self.path / f"journal-{new_gen}.wal")
            with contextlib.suppress(FileNotFoundError):
                old.unlink()
            self._loaded_key = self._disk_key()
            self._dirty = False
            self._last_flush = time.monotonic()
            self._flush_cost = self._last_flush - t0

    # -- writing ------------------------------------------------------------------------------
    @property
    def writer(self) -> tantivy.IndexWriter:
        self._own()
        return self._writer  # type: ignore[return-value]

    def _own(self) -> None:
        """Take tantivy's writer lock before a write; reload first if another process wrote."""
        if self._writer is not None:
            return
        deadline = time.monotonic() + WRITER_WAIT_S
        while True:
            try:
                self._writer = self.tindex.writer(heap_size=128_000_000, num_threads=1)
                break
            except ValueError as exc:  # another process holds it (a replay is brief): wait
                if time.monotonic() > deadline:
                    raise SearchUnavailableError(
                        f"the index {self.path} is being written by another process ({exc})"
                    ) from exc
                time.sleep(0.05)
        if self._disk_key() != self._loaded_key:
            log.info("index %s changed on disk since it was opened: reloading", self.path)
            self._load_state()
        else:
            self._drop_tantivy_orphans()

    def _code(self, name: str, value: str, *, create: bool) -> int:
        voc = self.vocab[name]
        code = voc.get(value)
        if code is None:
            if not create:
                return -1
            code = voc[value] = len(voc)
        return code

    def _coerce_column(self, name: str, ftype: str, values: list[Any]) -> list[Any]:
        """Return one field's values for a batch in stored form (None where missing).

        Keyword values become their codes (a list of codes for multi-valued fields); the common
        types take a fast path, anything else goes through :func:`indexer.filters.coerce`,
        which names what is wrong.
        """
        out: list[Any] = []
        if ftype == "date":
            memo = self._date_memo
            for v in values:
                if v is None:
                    out.append(None)
                    continue
                key = v if isinstance(v, str) else None
                days = memo.get(key) if key is not None else None
                if days is None:
                    days = coerce("date", v)
                    if key is not None and len(memo) < 1_000_000:
                        memo[key] = days
                out.append(days)
        elif ftype == "bool":
            out = [None if v is None else (int(v) if type(v) is bool else coerce("bool", v))
                   for v in values]
        elif ftype == "int":
            out = [None if v is None else (v if type(v) is int else coerce("int", v))
                   for v in values]
        elif ftype == "keyword":
            out = [None if v is None else self._code(name, str(v), create=True) for v in values]
        elif ftype == "keywords":
            code = self._code
            for v in values:
                if v is None or not isinstance(v, list | tuple):
                    out.append(None)
                    continue
                out.append([code(name, str(x), create=True) for x in v])  # repeats harmless
        else:
            out = [None if v is None else coerce(ftype, v) for v in values]
        return out

    def _prepare(self, docs: list[Document]) -> _Prepared:
        """Check and convert a batch (filter columns, vectors, blobs); change nothing stored.

        :raises InvalidFilterError: a value the index cannot hold, naming the field.
        """
        cols: dict[str, Any] = {}
        for name, ftype in self.schema.fields.items():
            try:
                vals = self._coerce_column(name, ftype, [d.fields.get(name) for d in docs])
                if ftype == "keywords":
                    cols[name] = vals
                    continue
                dtype, miss = _column_spec(ftype)
                cols[name] = (vals, np.asarray([miss if v is None else v for v in vals],
                                               dtype=dtype))
            except InvalidFilterError as exc:
                raise InvalidFilterError(f"field {name!r}: {exc}") from exc
            except (OverflowError, ValueError, TypeError) as exc:
                raise InvalidFilterError(f"field {name!r}: a value the index cannot hold "
                                         f"({exc})") from exc
        dim = self.schema.dim
        vecs = np.zeros((len(docs), dim), dtype=np.float32)
        for i, d in enumerate(docs):
            if d.vector is None:
                continue
            try:
                v = np.asarray(d.vector, dtype=np.float32).reshape(-1)
            except (ValueError, TypeError) as exc:
                raise InvalidFilterError(f"document {d.id}: not a vector ({exc})") from exc
            if v.shape[0] != dim:
                raise InvalidFilterError(f"document {d.id}: a vector of {v.shape[0]} "
                                         f"dimensions in an index of {dim}")
            vecs[i] = v
        dumps, proto = pickle.dumps, pickle.HIGHEST_PROTOCOL
        try:
            blobs = [dumps((dict(d.fields), dict(d.payload)), protocol=proto) for d in docs]
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise InvalidFilterError(f"fields or payload cannot be stored ({exc})") from exc
        for d in docs:
            if not isinstance(d.text, str | None):
                raise InvalidFilterError(f"document {d.id}: text is not a string")
        return _Prepared(cols, vecs, blobs)

    def _set_keywords(self, name: str, rows: np.ndarray, codes: list[list[int] | None]) -> None:
        """Write a batch's multi-valued keyword codes (bit words, postings past the matrix)."""
        col = self.columns[name]
        top = max((c for cs in codes if cs for c in cs if c < BITMAP_VALUES), default=-1)
        words = top // 64 + 1
        if words > col.shape[0]:
            col = np.concatenate([col, np.zeros((words - col.shape[0], col.shape[1]),
                                                col.dtype)], axis=0)
            self.columns[name] = col
        col[:, rows] = 0
        ri: list[int] = []
        ci: list[int] = []
        extra, row_extra = self.extra[name], self.row_extra[name]
        for row, cs in zip(rows.tolist(), codes, strict=True):
            old = row_extra.pop(row, None)
            if old:
                for c in old:
                    extra[c].discard(row)
            if not cs:
                continue
            over = []
            for c in cs:
                if c < BITMAP_VALUES:
                    ri.append(row)
                    ci.append(c)
                else:
                    over.append(c)
                    extra.setdefault(c, set()).add(row)
            if over:
                row_extra[row] = tuple(over)
        if ri:
            c = np.asarray(ci, dtype=np.uint64)
            np.bitwise_or.at(col, (np.asarray(c >> np.uint64(6), dtype=np.intp),
                                   np.asarray(ri, dtype=np.intp)),
                             np.left_shift(np.uint64(1), c & np.uint64(63)))

    def _set_rows(self, rows: list[int], prep: _Prepared) -> None:
        """Write a prepared batch's filter columns, vectors, blobs and liveness."""
        r = np.asarray(rows, dtype=np.int64)
        for name, ftype in self.schema.fields.items():
            if ftype == "keywords":
                self._set_keywords(name, r, prep.columns[name])
            else:
                self.columns[name][r] = prep.columns[name][1]
        self.vectors[r] = prep.vectors
        blobs = self.blobs
        for row, blob in zip(rows, prep.blobs, strict=True):
            blobs[row] = blob
        self.n_live += int(np.count_nonzero(~self.live[r]))
        self.live[r] = True

    def _tantivy_docs(self, docs: list[Document], prep: _Prepared) -> Iterator[tantivy.Document]:
        """Yield the tantivy documents of a batch (id, text and every filter field).

        A generator: each document goes to the writer as soon as it is built, so tantivy's
        indexing thread works while the next ones are built.
        """
        per_field = []
        for name, ftype in self.schema.fields.items():
            if ftype in ("date", "bool", "int"):
                vals = prep.columns[name][0]
            else:
                vals = [d.fields.get(name) for d in docs]
            per_field.append((name, ftype, vals))
        for i, doc in enumerate(docs):
            td = tantivy.Document()
            td.add_integer("id", doc.id)
            td.add_text("text", doc.text or "")
            for name, ftype, vals in per_field:
                value = vals[i]
                if value is None:
                    continue
                if ftype == "keyword":
                    td.add_text(name, str(value))
                elif ftype == "keywords":
                    if isinstance(value, list | tuple):
                        for v in value:
                            td.add_text(name, str(v))
                elif ftype == "float":
                    td.add_float(name, float(value))
                else:
                    td.add_integer(name, int(value))
            yield td

    def upsert(self, docs: Sequence[Document], *, journal: bool = True) -> int:
        """Insert or replace documents unless a newer version is stored; durable on return.

        :param journal: append the batch to the journal first (off for a version being
            rebuilt, which is snapshotted before it goes live).
        :raises InvalidFilterError: a document the index cannot hold; nothing was written.
        """
        if not docs:
            return 0
        with self.lock:
            self._own()
            return self._upsert_locked(docs, journal=journal, replay=False)

    def _upsert_locked(self, docs: Sequence[Document], *, journal: bool, replay: bool) -> int:
        fresh = [d for d in docs if d.version > self.versions.get(d.id, 0)]
        # Keep only the newest version of each id within the batch.
        newest: dict[int, Document] = {}
        for d in fresh:
            if d.id not in newest or d.version > newest[d.id].version:
                newest[d.id] = d
        if not newest:
            return 0
        docs_in = list(newest.values())
        prep = self._prepare(docs_in)
        if journal:
            try:
                self.journal.append(("u", np.fromiter((d.id for d in docs_in), np.int64,
                                                      len(docs_in)),
                                     np.fromiter((d.version for d in docs_in), np.int64,
                                                 len(docs_in)),
                                     [d.text or "" for d in docs_in], prep.vectors, prep.blobs))
            except OSError as exc:
                raise SearchUnavailableError(f"cannot write the index journal: {exc}") from exc
        self.drop_caches()
        self._ensure_capacity(len(self.ids) + len(newest))
        w = self._writer
        rows = []
        for d in docs_in:
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
        self._set_rows(rows, prep)
        self._index_ids(np.fromiter((d.id for d in docs_in), dtype=np.int64,
                                    count=len(docs_in)), np.asarray(rows, dtype=np.int64))
        if w is not None:
            for td in self._tantivy_docs(docs_in, prep):
                w.add_document(td)
        # The IVF assignment (numpy) runs while tantivy's indexing thread works through the
        # queued documents; the commit then waits for what is left.
        r = np.asarray(rows, dtype=np.int64)
        self.ann.update(r, self.vectors[r], len(self.ids), self.vectors, self.n_live)
        if w is not None and not replay:
            w.commit()
            self.tindex.reload()
        self._dirty = True
        return len(newest)

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
            self.drop_caches()
            self.live[row] = False
            self.n_live -= 1
            self.blobs[row] = None
            if w is not None:
                w.delete_documents_by_term("id", doc_id)
                if not replay:
                    w.commit()
                    self.tindex.reload()
        elif replay and w is not None:
            w.delete_documents_by_term("id", doc_id)
        self._dirty = True
        return True

    # -- reading ------------------------------------------------------------------------------
    def drop_caches(self) -> None:
        """Forget cached filter masks, counts and clause scores (every write does)."""
        self._masks.clear()
        self._counts.clear()
        self._clause_max.clear()

    def _clause_mask(self, name: str, op: str, value: Any, n: int) -> np.ndarray | None:
        """Return the mask of one validated clause (cached until the next write)."""
        key = (name, op, _freeze(value))
        hit = self._masks.get(key)
        if hit is not None and len(hit) == n:
            return hit
        ftype = self.schema.fields[name]
        col = self.columns[name][:n]
        if ftype == "keyword":
            if op == "eq":
                m = col == self._code(name, value, create=False)
            else:
                codes = [c for c in (self._code(name, v, create=False) for v in value) if c >= 0]
                m = np.isin(col, codes) if codes else np.zeros(n, dtype=bool)
        elif ftype == "keywords":
            m = self._keywords_mask(name, op, value, n)
            if m is None:
                return None  # 'all' of nothing: every document
        elif ftype == "float":
            present = ~np.isnan(col)
            m = self._compare(col, op, value) & present
        else:
            # The missing marker is the column's minimum, so `gte` excludes it by itself.
            _, miss = _column_spec(ftype)
            m = self._compare(col, op, value)
            if op != "gte" or value <= miss:
                m &= col != miss
        self._remember(key, m)
        return m

    def _keywords_mask(self, name: str, op: str, value: Any, n: int) -> np.ndarray | None:
        """Mask of a clause on a multi-valued keyword field (None: every document)."""
        codes = [self._code(name, v, create=False) for v in
                 (value if isinstance(value, list) else [value])]
        if any(c < 0 for c in codes):
            if op in ("eq", "all"):
                return np.zeros(n, dtype=bool)
            codes = [c for c in codes if c >= 0]
        codes = sorted(set(codes))
        if not codes:
            return np.zeros(n, dtype=bool) if op == "in" else None
        col = self.columns[name]
        words: dict[int, int] = {}
        over = []
        for c in codes:
            if c < BITMAP_VALUES:
                words[c >> 6] = words.get(c >> 6, 0) | (1 << (c & 63))
            else:
                over.append(c)
        m: np.ndarray | None = None
        for w, bits in words.items():
            b = np.uint64(bits)
            word = col[w, :n] if w < col.shape[0] else np.zeros(n, dtype=np.uint64)
            part = (word & b) != 0 if op == "in" else (word & b) == b
            if m is None:
                m = part
            elif op == "in":
                m |= part
            else:
                m &= part
        for c in over:
            part = np.zeros(n, dtype=bool)
            rows = self.extra[name].get(c)
            if rows:
                idx = np.fromiter(rows, dtype=np.int64, count=len(rows))
                part[idx[idx < n]] = True
            if m is None:
                m = part
            elif op == "in":
                m |= part
            else:
                m &= part
        return m

    def _remember(self, key: tuple, m: np.ndarray) -> None:
        if len(self._masks) >= MASK_CACHE_SIZE:
            self._masks.pop(next(iter(self._masks)))
        self._masks[key] = m

    @staticmethod
    def _compare(col: np.ndarray, op: str, value: Any) -> np.ndarray:
        if op == "eq":
            return col == value
        if op == "in":
            return np.isin(col, value)
        if op == "gte":
            return col >= value
        return col <= value

    def mask(self, filters: Filter) -> np.ndarray:
        n = len(self.ids)
        m = self.live[:n].copy()
        for name, op, value in validate(filters, self.schema.fields):
            cm = self._clause_mask(name, op, value, n)
            if cm is not None:
                m &= cm
        return m

    def count(self, filters: Filter) -> int:
        if not filters:
            return self.n_live
        try:
            key = tuple((c["field"], c["op"], _freeze(c["value"])) for c in filters)
            hit = self._counts.get(key)
        except (KeyError, TypeError):  # malformed: let mask() name the problem
            return int(np.count_nonzero(self.mask(filters)))
        if hit is None:
            hit = int(np.count_nonzero(self.mask(filters)))
            if len(self._counts) >= MASK_CACHE_SIZE:
                self._counts.pop(next(iter(self._counts)))
            self._counts[key] = hit
        return hit

    def _filter_query(self, filters: Filter) -> list[tuple[tuple, tantivy.Query]]:
        """Return each clause as ``(cache key, tantivy query)``."""
        out = []
        for name, op, value in validate(filters, self.schema.fields):
            key = (name, op, _freeze(value))
            ftype = self.schema.fields[name]
            if ftype in ("keyword", "keywords"):
                vals = value if isinstance(value, list) else [value]
                if op in ("eq", "all"):
                    out.extend(((name, "eq", v), tantivy.Query.term_query(self.tschema, name, v))
                               for v in vals)
                else:
                    out.append((key, tantivy.Query.term_set_query(self.tschema, name, vals)))
                continue
            tft = tantivy.FieldType.Float if ftype == "float" else tantivy.FieldType.Integer
            if op == "eq":
                q = tantivy.Query.range_query(self.tschema, name, tft, value, value)
            elif op == "in":
                q = tantivy.Query.boolean_query([
                    (tantivy.Occur.Should, tantivy.Query.range_query(self.tschema, name, tft, v, v))
                    for v in value] or [(tantivy.Occur.Must, tantivy.Query.empty_query())])
            elif op == "gte":
                q = tantivy.Query.range_query(self.tschema, name, tft, value, None)
            else:
                q = tantivy.Query.range_query(self.tschema, name, tft, None, value)
            out.append((key, q))
        return out

    def _max_clause_score(self, key: tuple, q: tantivy.Query,
                          searcher: tantivy.Searcher) -> float:
        """The highest score one filter clause adds to a document (cached until a write).

        Range and term-set queries score a constant 1.0; a keyword term scores its BM25, whose
        maximum tantivy's block-max top-1 finds quickly.
        """
        if not self._scored_clause(key):
            return 1.0
        hit = self._clause_max.get(key)
        if hit is None:
            top = searcher.search(q, limit=1, count=False).hits
            hit = float(top[0][0]) if top else 0.0
            self._clause_max[key] = hit
        return hit

    def keyword_search(self, text: str, filters: Filter, k: int,
                       m: np.ndarray | None = None) -> dict[int, float]:
        """BM25 top-k of ``text`` among the documents passing ``filters`` (mask ``m``).

        The scores are tantivy's for ``text AND every filter clause`` (a filter clause adds its
        own score: 1.0 for a range or term set — 0 when it matches every document —, a small
        BM25 for a keyword term). Evaluating that
        conjunction over the whole index is slow (the ~60-term disjunction is scored for every
        document passing the filters), so it runs in two steps with the same result:

        1. the text alone, top ``L`` (tantivy's block-max WAND), kept where the mask holds;
        2. the full conjunction restricted to those ids, for their exact scores.

        ``L`` grows until the k-th best exact score is at least the last text score fetched
        plus the most the filter clauses can add (so no unfetched document can rank above it),
        or every matching document has been fetched. Under a selective filter (fewer than
        ``TWO_STEP_MIN_SHARE`` of the documents eligible) the conjunction is the cheaper form
        and runs as is.
        """
        terms = query_terms(text)
        if not terms:
            return {}
        if m is None:
            m = self.mask(filters)
        n_eligible = int(np.count_nonzero(m))
        if n_eligible == 0:
            return {}
        share = n_eligible / max(self.n_live, 1)
        if share < TWO_STEP_MIN_SHARE:
            # A selective filter: the conjunction only scores the few eligible documents,
            # while the text alone would have to be ranked deep.
            return self.keyword_search_conjunction(text, filters, k)
        text_q = self.tindex.parse_query(" ".join(terms), ["text"])
        fqs = self._filter_query(filters)
        searcher = self.tindex.searcher()
        # Range and term-set clauses add the same (at most 1.0) to every document passing them;
        # only keyword terms (gender, languages) add a document-dependent BM25.
        n_const = sum(1 for key, _ in fqs if not self._scored_clause(key))
        bound = sum(self._max_clause_score(key, q, searcher) for key, q in fqs)
        must = [(tantivy.Occur.Must, q) for _, q in fqs]
        limit = max(4 * k, int(2 * k / share) + 1)
        row_by_id = self.row_by_id
        while True:
            hits = searcher.search(text_q, limit=limit, count=False).hits
            ids = np.asarray(searcher.fast_field_values("id", [a for _, a in hits])
                             if hits else [], dtype=np.int64)
            text_scores = np.asarray([sc for sc, _ in hits], dtype=np.float32)
            rows = np.full(len(ids), -1, dtype=np.int64)
            inside = (ids >= 0) & (ids < len(row_by_id))
            rows[inside] = row_by_id[ids[inside]]
            for i in np.flatnonzero(~inside).tolist():
                rows[i] = self.row_of.get(int(ids[i]), -1)
            ok = rows >= 0
            ok[ok] = m[rows[ok]] if len(m) else False
            eligible, elig_text = ids[ok], text_scores[ok]
            exhausted = len(hits) < limit
            out: dict[int, float] = {}
            if len(eligible):
                if n_const == len(fqs):
                    # Every clause adds the same to every document (1.0 for a range, or 0 where
                    # tantivy turned it into a match-all): measure that offset on one document.
                    probe = self._conjunction_scores(searcher, text_q, must,
                                                     [int(eligible[0])], 1)
                    offset = probe[0][1] - float(elig_text[0]) if probe else float(n_const)
                    exact = elig_text + np.float32(offset)
                    order = np.argsort(-exact, kind="stable")[:k]
                    top = [(int(eligible[i]), float(exact[i])) for i in order]
                else:
                    # Only documents whose best case (text + the most every clause can add)
                    # reaches the k-th worst case (text alone) can make the top k: score
                    # exactly just those.
                    lower = elig_text
                    kth = np.partition(-lower, k - 1)[k - 1] * -1 if len(lower) > k else -np.inf
                    maybe = eligible[elig_text + np.float32(bound) >= kth - 1e-4]
                    top = self._conjunction_scores(searcher, text_q, must, maybe.tolist(), k)
                out = dict(top)
                if len(top) == k and top[-1][1] >= float(hits[-1][0]) + bound - 1e-6:
                    return out
            if exhausted:
                return out
            limit *= 4

    def _scored_clause(self, key: tuple) -> bool:
        return key[1] == "eq" and self.schema.fields[key[0]] in ("keyword", "keywords")

    def _conjunction_scores(self, searcher: tantivy.Searcher, text_q: tantivy.Query,
                            must: list, ids: list[int], k: int) -> list[tuple[int, float]]:
        """Top k of ``text AND filters`` among ``ids``, with tantivy's scores."""
        # A union of single-id terms, scoring nothing: far cheaper than a term set on the ids.
        only = tantivy.Query.const_score_query(tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(self.tschema, "id", i))
             for i in ids]), 0.0)
        q = tantivy.Query.boolean_query([(tantivy.Occur.Must, text_q), *must,
                                         (tantivy.Occur.Must, only)])
        scored = searcher.search(q, limit=len(ids), count=False).hits
        sids = searcher.fast_field_values("id", [a for _, a in scored]) if scored else []
        top = sorted(zip(sids, (float(sc) for sc, _ in scored), strict=True),
                     key=lambda t: -t[1])[:k]
        return [(int(i), sc) for i, sc in top]

    def keyword_search_conjunction(self, text: str, filters: Filter, k: int) -> dict[int, float]:
        """The one-query form of :meth:`keyword_search` (``text AND filters``, top k).

        Same result, much slower at 1M rows; kept as the benchmarks' baseline and the tests'
        reference.
        """
        terms = query_terms(text)
        if not terms:
            return {}
        text_q = self.tindex.parse_query(" ".join(terms), ["text"])
        clauses = [(tantivy.Occur.Must, text_q)]
        clauses += [(tantivy.Occur.Must, q) for _, q in self._filter_query(filters)]
        searcher = self.tindex.searcher()
        hits = searcher.search(tantivy.Query.boolean_query(clauses), limit=k, count=False).hits
        ids = searcher.fast_field_values("id", [a for _, a in hits]) if hits else []
        return {int(i): float(sc) for i, (sc, _) in zip(ids, hits, strict=True)}

    def vector_rows(self, vector: np.ndarray, m: np.ndarray, k: int) -> np.ndarray:
        """Return the rows of the (approximate, exactly re-scored) vector top-k under mask m."""
        n = len(self.ids)
        q = np.asarray(vector, dtype=np.float32)
        if self.ann_enabled and self.ann.trained:
            cand = self.ann.candidates(q, m, k)
            sims = self.vectors[cand] @ q
        else:
            sims_all = self.vectors[:n] @ q
            cand = np.flatnonzero(m)
            sims = sims_all[cand]
        if len(cand) > k:
            return cand[np.argpartition(-sims, k - 1)[:k]]
        return cand

    def search(self, text: str | None, vector: np.ndarray | None, filters: Filter,
               k: int) -> list[Hit]:
        with self.lock:
            n = len(self.ids)
            m = self.mask(filters)
            if not text:
                kw = {}
            elif self.keyword_two_step:
                kw = self.keyword_search(text, filters, k, m)
            else:
                kw = self.keyword_search_conjunction(text, filters, k)
            rows = {r for i in kw if (r := self.row_of.get(i)) is not None}
            if vector is not None and n:
                rows.update(self.vector_rows(vector, m, k).tolist())
            rows_arr = np.fromiter((r for r in rows if m[r]), dtype=np.int64)
            if vector is not None and len(rows_arr):
                sims = (self.vectors[rows_arr] @ np.asarray(vector, dtype=np.float32)).tolist()
            else:
                sims = [0.0] * len(rows_arr)
            hits = []
            for r, sim in zip(rows_arr.tolist(), sims, strict=True):
                doc_id = self.ids[r]
                fields, payload = self._row_fields(r)
                hits.append(Hit(id=doc_id, keyword_score=kw.get(doc_id, 0.0),
                                vector_score=float(sim), fields=fields, payload=payload))
            return hits

    def get(self, doc_id: int) -> Document | None:
        with self.lock:
            row = self.row_of.get(doc_id)
            if row is None or not self.live[row]:
                return None
            fields, payload = self._row_fields(row)
            return Document(id=doc_id, version=self.versions[doc_id], text="",
                            vector=self.vectors[row].copy(), fields=fields, payload=payload)

    def live_versions(self) -> dict[int, int]:
        with self.lock:
            return {i: self.versions[i] for r, i in enumerate(self.ids) if self.live[r]}

    def close(self) -> None:
        with self.lock:
            self.flush(force=True)
            if self._writer is not None:
                self._writer.wait_merging_threads()
                self._writer = None
            self.journal.close()


class EmbeddedBackend:
    """The default search backend: everything in-process, persisted under ``root``."""

    name = "embedded"

    def __init__(self, root: Path, flush_interval_s: float = 2.0) -> None:
        self.root = Path(root)
        self.flush_interval_s = flush_interval_s
        self._schemas: dict[str, IndexSchema] = {}
        self._live: dict[str, tuple[str, _Physical]] = {}
        self._building: dict[str, _Physical] = {}
        self._lock = threading.RLock()
        self._current_cache: dict[str, tuple[tuple[int, int, int], str]] = {}

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

    def _physical(self, index: str) -> _Physical:
        with self._lock:
            current = self._current_name(index)
            if current is None:
                raise KeyError(f"no such index: {index}")
            held = self._live.get(index)
            if held is None or held[0] != current:
                # Another process (``shetu reindex``) may have swapped the version: reopen.
                if held is not None:
                    held[1].close()
                self._live[index] = (current, _Physical(self.root / index / current,
                                                        self._schemas[index]))
            return self._live[index][1]

    def ensure_index(self, schema: IndexSchema) -> None:
        """Create the index with a first version ``v1`` if it does not exist."""
        with self._lock:
            self._schemas[schema.name] = schema
            if self._current_name(schema.name) is None:
                (self.root / schema.name / "v1").mkdir(parents=True, exist_ok=True)
                self._write_current(schema.name, "v1")

    def _write_current(self, index: str, physical: str) -> None:
        tmp = self.root / index / "CURRENT.tmp"
        tmp.write_text(physical)
        tmp.replace(self.root / index / "CURRENT")

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
        p = self._physical(index)
        with p.lock:
            return p.count(filters)

    def versions(self, index: str) -> dict[int, int]:
        """Return ``{id: version}`` of live documents."""
        return self._physical(index).live_versions()

    def begin_rebuild(self, index: str) -> str:
        """Create the next physical version beside the live one."""
        with self._lock:
            current = self._current_name(index) or "v0"
            existing = [int(p.name[1:]) for p in (self.root / index).glob("v*")
                        if p.name[1:].isdigit()]
            name = f"v{max(existing + [int(current[1:])]) + 1}"
            self._building[name] = _Physical(self.root / index / name, self._schemas[index])
            return name

    def upsert_into(self, physical: str, docs: Sequence[Document]) -> int:
        """Write documents into a version being rebuilt."""
        # Not journalled: a version being rebuilt goes live only after commit_rebuild's snapshot.
        return self._building[physical].upsert(docs, journal=False)

    def commit_rebuild(self, index: str, physical: str) -> None:
        """Flush the new version, point CURRENT at it, and remove the old one."""
        with self._lock:
            new = self._building.pop(physical)
            new.close()
            old = self._current_name(index)
            self._write_current(index, physical)
            held = self._live.pop(index, None)
            if held is not None:
                held[1].close()
            self._live[index] = (physical, new)
            if old and old != physical:
                shutil.rmtree(self.root / index / old, ignore_errors=True)

    def drop_index(self, index: str) -> None:
        """Delete every version of the index."""
        with self._lock:
            held = self._live.pop(index, None)
            if held is not None:
                held[1].close()
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
