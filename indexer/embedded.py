"""Embedded search backend: tantivy for BM25 and filters, numpy vectors and columns on disk.

Layout under ``root``::

    <index>/CURRENT           name of the live physical version, e.g. ``v3``
    <index>/v3/tantivy/       BM25 index (text + filter fields)
    <index>/v3/state.pkl      ids, versions, tombstones, fields, payloads, filter columns
    <index>/v3/vectors.npy    float32 unit vectors, one row per document

Searches take the filter as a numpy mask for the vector leg and as a tantivy query for the
keyword leg, so both legs see exactly the eligible documents. State is flushed at most every
``flush_interval_s`` seconds and on close; a crash loses at most that much, which the
registry↔index reconcile repairs (records carry versions).
"""

from __future__ import annotations

import pickle
import re
import shutil
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import tantivy

from indexer.filters import coerce, validate
from indexer.protocol import Document, Filter, Hit, IndexSchema, InvalidFilterError

_TOKEN = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_TERMS = 64
MISSING = np.iinfo(np.int64).min


def query_terms(text: str) -> list[str]:
    """Return the distinct lower-cased word tokens of a keyword query (at most 64)."""
    return list(dict.fromkeys(t.lower() for t in _TOKEN.findall(text or "")))[:MAX_QUERY_TERMS]


class _Physical:
    """One physical index version: tantivy + numpy columns + vectors, guarded by a lock."""

    def __init__(self, path: Path, schema: IndexSchema) -> None:
        self.path = path
        self.schema = schema
        self.lock = threading.RLock()
        self._writer: tantivy.IndexWriter | None = None
        self._dirty = False
        self._last_flush = 0.0
        path.mkdir(parents=True, exist_ok=True)
        self.tschema = self._tantivy_schema()
        (path / "tantivy").mkdir(exist_ok=True)
        self.tindex = tantivy.Index(self.tschema, path=str(path / "tantivy"))
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

    def _load_state(self) -> None:
        state_file = self.path / "state.pkl"
        if state_file.exists():
            with open(state_file, "rb") as fh:
                st = pickle.load(fh)
            self.ids: list[int] = st["ids"]
            self.versions: dict[int, int] = st["versions"]
            self.tombstones: set[int] = st["tombstones"]
            self.fields: list[dict[str, Any] | None] = st["fields"]
            self.payloads: list[dict[str, Any] | None] = st["payloads"]
            self.vocab: dict[str, dict[str, int]] = st["vocab"]
            n = len(self.ids)
            self.columns = {k: v for k, v in st["columns"].items()}
            self.live = st["live"]
            vec = np.load(self.path / "vectors.npy") if n else np.zeros((0, self.schema.dim))
            self.vectors = np.zeros((max(n, 1024), self.schema.dim), dtype=np.float32)
            self.vectors[:n] = vec[:n]
            self._grow_columns(self.vectors.shape[0])
        else:
            self.ids, self.versions, self.tombstones = [], {}, set()
            self.fields, self.payloads = [], []
            self.vocab = {k: {} for k, t in self.schema.fields.items() if t in ("keyword", "keywords")}
            self.vectors = np.zeros((1024, self.schema.dim), dtype=np.float32)
            self.live = np.zeros(1024, dtype=bool)
            self.columns = {k: np.full(1024, MISSING, dtype=np.int64) for k in self.schema.fields
                            if self.schema.fields[k] != "float"}
            self.columns.update({k: np.full(1024, np.nan) for k, t in self.schema.fields.items()
                                 if t == "float"})
        self.row_of = {i: r for r, i in enumerate(self.ids)}

    def _grow_columns(self, cap: int) -> None:
        for k, col in list(self.columns.items()):
            if len(col) < cap:
                fill = np.nan if col.dtype.kind == "f" else MISSING
                self.columns[k] = np.concatenate([col, np.full(cap - len(col), fill, col.dtype)])
        if len(self.live) < cap:
            self.live = np.concatenate([self.live, np.zeros(cap - len(self.live), dtype=bool)])

    def _ensure_capacity(self, n: int) -> None:
        cap = self.vectors.shape[0]
        if n <= cap:
            return
        new_cap = max(n, cap * 2)
        grown = np.zeros((new_cap, self.schema.dim), dtype=np.float32)
        grown[:cap] = self.vectors
        self.vectors = grown
        self._grow_columns(new_cap)

    def flush(self, force: bool = False, interval: float = 2.0) -> None:
        """Persist state if dirty and the interval passed (or forced)."""
        with self.lock:
            if not self._dirty or (not force and time.monotonic() - self._last_flush < interval):
                return
            if not self.path.exists():  # this version was replaced and removed by a rebuild
                return
            n = len(self.ids)
            st = {"ids": self.ids, "versions": self.versions, "tombstones": self.tombstones,
                  "fields": self.fields, "payloads": self.payloads, "vocab": self.vocab,
                  "columns": {k: v[:n] for k, v in self.columns.items()},
                  "live": self.live[:n]}
            tmp = self.path / "state.pkl.tmp"
            with open(tmp, "wb") as fh:
                pickle.dump(st, fh, protocol=pickle.HIGHEST_PROTOCOL)
            vtmp = self.path / "vectors.tmp.npy"
            np.save(vtmp, self.vectors[:n])
            vtmp.replace(self.path / "vectors.npy")
            tmp.replace(self.path / "state.pkl")
            self._dirty = False
            self._last_flush = time.monotonic()

    # -- writing ------------------------------------------------------------------------------
    @property
    def writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self.tindex.writer(heap_size=64_000_000, num_threads=1)
        return self._writer

    def _code(self, name: str, value: str, *, create: bool) -> int:
        voc = self.vocab[name]
        if value not in voc:
            if not create:
                return -1
            if self.schema.fields[name] == "keywords" and len(voc) >= 62:
                raise InvalidFilterError(f"too many distinct values for {name!r} (max 62)")
            voc[value] = len(voc)
        return voc[value]

    def _set_row(self, row: int, doc: Document) -> None:
        for name, ftype in self.schema.fields.items():
            value = doc.fields.get(name)
            col = self.columns[name]
            if value is None or (ftype == "keywords" and not isinstance(value, list | tuple)):
                col[row] = np.nan if ftype == "float" else MISSING
                if ftype == "keywords":
                    col[row] = 0
                continue
            if ftype == "keyword":
                col[row] = self._code(name, str(value), create=True)
            elif ftype == "keywords":
                bits = 0
                for v in value:
                    bits |= 1 << self._code(name, str(v), create=True)
                col[row] = bits
            else:
                col[row] = coerce(ftype, value)
        if doc.vector is not None:
            self.vectors[row] = np.asarray(doc.vector, dtype=np.float32)
        else:
            self.vectors[row] = 0.0
        self.fields[row] = dict(doc.fields)
        self.payloads[row] = dict(doc.payload)
        self.live[row] = True

    def _tantivy_doc(self, doc: Document) -> tantivy.Document:
        td = tantivy.Document()
        td.add_integer("id", doc.id)
        td.add_text("text", doc.text or "")
        for name, ftype in self.schema.fields.items():
            value = doc.fields.get(name)
            if value is None:
                continue
            if ftype == "keyword":
                td.add_text(name, str(value))
            elif ftype == "keywords":
                for v in value:
                    td.add_text(name, str(v))
            elif ftype == "float":
                td.add_float(name, float(value))
            else:
                td.add_integer(name, int(coerce(ftype, value)))
        return td

    def upsert(self, docs: Sequence[Document]) -> int:
        with self.lock:
            fresh = [d for d in docs if d.version > self.versions.get(d.id, 0)]
            # Keep only the newest version of each id within the batch.
            newest: dict[int, Document] = {}
            for d in fresh:
                if d.id not in newest or d.version > newest[d.id].version:
                    newest[d.id] = d
            if not newest:
                return 0
            self._ensure_capacity(len(self.ids) + len(newest))
            w = self.writer
            for d in newest.values():
                row = self.row_of.get(d.id)
                if row is None:
                    row = len(self.ids)
                    self.ids.append(d.id)
                    self.fields.append(None)
                    self.payloads.append(None)
                    self.row_of[d.id] = row
                else:
                    w.delete_documents_by_term("id", d.id)
                self._set_row(row, d)
                self.versions[d.id] = d.version
                self.tombstones.discard(d.id)
                w.add_document(self._tantivy_doc(d))
            w.commit()
            self.tindex.reload()
            self._dirty = True
            return len(newest)

    def delete(self, doc_id: int, version: int) -> bool:
        with self.lock:
            if version < self.versions.get(doc_id, 0):
                return False
            self.versions[doc_id] = version
            self.tombstones.add(doc_id)
            row = self.row_of.get(doc_id)
            if row is not None and self.live[row]:
                self.live[row] = False
                self.fields[row] = None
                self.payloads[row] = None
                self.writer.delete_documents_by_term("id", doc_id)
                self.writer.commit()
                self.tindex.reload()
            self._dirty = True
            return True

    # -- reading ------------------------------------------------------------------------------
    def mask(self, filters: Filter) -> np.ndarray:
        n = len(self.ids)
        m = self.live[:n].copy()
        for name, op, value in validate(filters, self.schema.fields):
            ftype = self.schema.fields[name]
            col = self.columns[name][:n]
            if ftype == "keyword":
                if op == "eq":
                    m &= col == self._code(name, value, create=False)
                else:
                    codes = [self._code(name, v, create=False) for v in value]
                    m &= np.isin(col, codes)
            elif ftype == "keywords":
                codes = [self._code(name, v, create=False) for v in
                         (value if isinstance(value, list) else [value])]
                if any(c < 0 for c in codes):
                    if op in ("eq", "all"):
                        m &= False
                        continue
                    codes = [c for c in codes if c >= 0]
                bits = 0
                for c in codes:
                    bits |= 1 << c
                if op == "in":
                    m &= (col & bits) != 0
                else:
                    m &= (col & bits) == bits
            else:
                present = ~np.isnan(col) if ftype == "float" else col != MISSING
                if op == "eq":
                    m &= present & (col == value)
                elif op == "in":
                    m &= present & np.isin(col, value)
                elif op == "gte":
                    m &= present & (col >= value)
                else:
                    m &= present & (col <= value)
        return m

    def _filter_query(self, filters: Filter) -> list[tantivy.Query]:
        out = []
        for name, op, value in validate(filters, self.schema.fields):
            ftype = self.schema.fields[name]
            if ftype in ("keyword", "keywords"):
                vals = value if isinstance(value, list) else [value]
                if op in ("eq", "all"):
                    out.extend(tantivy.Query.term_query(self.tschema, name, v) for v in vals)
                else:
                    out.append(tantivy.Query.term_set_query(self.tschema, name, vals))
                continue
            tft = tantivy.FieldType.Float if ftype == "float" else tantivy.FieldType.Integer
            if op == "eq":
                out.append(tantivy.Query.range_query(self.tschema, name, tft, value, value))
            elif op == "in":
                out.append(tantivy.Query.boolean_query([
                    (tantivy.Occur.Should, tantivy.Query.range_query(self.tschema, name, tft, v, v))
                    for v in value] or [(tantivy.Occur.Must, tantivy.Query.empty_query())]))
            elif op == "gte":
                out.append(tantivy.Query.range_query(self.tschema, name, tft, value, None))
            else:
                out.append(tantivy.Query.range_query(self.tschema, name, tft, None, value))
        return out

    def keyword_search(self, text: str, filters: Filter, k: int) -> dict[int, float]:
        terms = query_terms(text)
        if not terms:
            return {}
        text_q = self.tindex.parse_query(" ".join(terms), ["text"])
        clauses = [(tantivy.Occur.Must, text_q)]
        clauses += [(tantivy.Occur.Must, q) for q in self._filter_query(filters)]
        searcher = self.tindex.searcher()
        result = searcher.search(tantivy.Query.boolean_query(clauses), limit=k, count=False)
        out = {}
        for score, addr in result.hits:
            out[int(searcher.doc(addr)["id"][0])] = float(score)
        return out

    def search(self, text: str | None, vector: np.ndarray | None, filters: Filter,
               k: int) -> list[Hit]:
        with self.lock:
            n = len(self.ids)
            m = self.mask(filters)
            kw = self.keyword_search(text, filters, k) if text else {}
            rows = {self.row_of[i] for i in kw}
            sims = None
            if vector is not None and n:
                sims = self.vectors[:n] @ np.asarray(vector, dtype=np.float32)
                cand = np.flatnonzero(m)
                if len(cand) > k:
                    top = cand[np.argpartition(-sims[cand], k - 1)[:k]]
                else:
                    top = cand
                rows.update(int(r) for r in top)
            hits = []
            for r in rows:
                if not m[r]:
                    continue
                doc_id = self.ids[r]
                hits.append(Hit(id=doc_id, keyword_score=kw.get(doc_id, 0.0),
                                vector_score=float(sims[r]) if sims is not None else 0.0,
                                fields=dict(self.fields[r] or {}),
                                payload=dict(self.payloads[r] or {})))
            return hits

    def get(self, doc_id: int) -> Document | None:
        with self.lock:
            row = self.row_of.get(doc_id)
            if row is None or not self.live[row]:
                return None
            return Document(id=doc_id, version=self.versions[doc_id], text="",
                            vector=self.vectors[row].copy(), fields=dict(self.fields[row] or {}),
                            payload=dict(self.payloads[row] or {}))

    def live_versions(self) -> dict[int, int]:
        with self.lock:
            return {i: self.versions[i] for r, i in enumerate(self.ids) if self.live[r]}

    def close(self) -> None:
        with self.lock:
            self.flush(force=True)
            if self._writer is not None:
                self._writer.wait_merging_threads()
                self._writer = None


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

    def _current_name(self, index: str) -> str | None:
        f = self.root / index / "CURRENT"
        return f.read_text().strip() if f.exists() else None

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
            return int(p.mask(filters).sum())

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
        return self._building[physical].upsert(docs)

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
