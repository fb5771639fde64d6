"""Filter columns of the embedded backend and the numpy masks of filter clauses.

Each filterable field is a narrow column, one entry per row: dates as days since 1970 (int32),
booleans int8 (0, 1; -1 missing), ints int64, floats float64 (NaN missing), keywords as codes
of a per-field vocabulary (int32). A multi-valued keyword field is a bit matrix, one uint64
word per 64 distinct values (a word is added when the vocabulary outgrows the last one); values
past :data:`BITMAP_VALUES` keep a posting set each, so no number of distinct values can fail a
write or exhaust memory. Each clause's mask and each filter's count is cached until the next
write, so the per-rule counts of a ranking flow reuse the search's masks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from indexer.filters import coerce, validate
from indexer.protocol import Document, FieldType, Filter, InvalidDocumentError, InvalidFilterError

MISSING = np.iinfo(np.int64).min  # int columns (int64)
MISSING32 = np.iinfo(np.int32).min  # date and keyword-code columns (int32)
MISSING8 = -1  # bool columns (int8): 0 false, 1 true, -1 missing
MASK_CACHE_SIZE = 64
BITMAP_VALUES = 1024  # distinct values of one multi-valued field kept in the bit matrix
_DATE_MEMO_MAX = 1_000_000


def column_spec(ftype: str) -> tuple[np.dtype, Any]:
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


def freeze(value: Any) -> Any:
    """Return a hashable form of a clause value (lists become tuples)."""
    return tuple(value) if isinstance(value, list) else value


def _compare(col: np.ndarray, op: str, value: Any) -> np.ndarray:
    if op == "eq":
        return col == value
    if op == "in":
        return np.isin(col, value)
    if op == "gte":
        return col >= value
    return col <= value


class FilterColumns:
    """The filter columns of one physical index, with cached clause masks and counts."""

    def __init__(self, fields: Mapping[str, FieldType], cap: int) -> None:
        self.fields = fields
        self.columns: dict[str, np.ndarray] = {}
        for name, ftype in fields.items():
            dtype, miss = column_spec(ftype)
            self.columns[name] = (np.zeros((1, cap), dtype=dtype) if ftype == "keywords"
                                  else np.full(cap, miss, dtype=dtype))
        self.vocab: dict[str, dict[str, int]] = {
            k: {} for k, t in fields.items() if t in ("keyword", "keywords")}
        # multi-valued codes past BITMAP_VALUES: code -> rows, and row -> codes
        self.extra: dict[str, dict[int, set[int]]] = {
            k: {} for k, t in fields.items() if t == "keywords"}
        self.row_extra: dict[str, dict[int, tuple[int, ...]]] = {k: {} for k in self.extra}
        self._date_memo: dict[str, int] = {}
        self._masks: dict[tuple, np.ndarray] = {}
        self._counts: dict[tuple, int] = {}

    # -- persistence ----------------------------------------------------------------------------
    @classmethod
    def from_state(cls, fields: Mapping[str, FieldType], st: Mapping[str, Any], n: int,
                   cap: int, fmt: int) -> FilterColumns:
        """Rebuild the columns of ``n`` rows from a snapshot of any format (1–3)."""
        self = cls(fields, cap)
        self.vocab.update(st["vocab"])
        for name, ftype in fields.items():
            old = st["columns"].get(name)
            if old is None:
                continue
            if ftype == "keywords":
                self.columns[name] = cls._load_keywords(old, n, cap, fmt)
                continue
            old = np.asarray(old)[:n]
            if old.dtype != self.columns[name].dtype and ftype != "float":
                _, miss = column_spec(ftype)
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
        return self

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

    def state(self, n: int) -> dict[str, Any]:
        """Return the snapshot entries of the first ``n`` rows (vocab, columns, extra)."""
        return {"vocab": self.vocab,
                "columns": {k: (v[:, :n] if v.ndim == 2 else v[:n])
                            for k, v in self.columns.items()},
                "extra": {k: {c: sorted(rows) for c, rows in e.items() if rows}
                          for k, e in self.extra.items()}}

    def grow(self, cap: int, new_cap: int) -> None:
        """Extend every column from ``cap`` to ``new_cap`` rows (missing values)."""
        for k, col in list(self.columns.items()):
            ftype = self.fields[k]
            _, miss = column_spec(ftype)
            if ftype == "keywords":
                self.columns[k] = np.concatenate(
                    [col, np.zeros((col.shape[0], new_cap - cap), col.dtype)], axis=1)
            else:
                self.columns[k] = np.concatenate([col, np.full(new_cap - cap, miss, col.dtype)])

    # -- writing --------------------------------------------------------------------------------
    def code(self, name: str, value: str, *, create: bool) -> int:
        """Return the code of a keyword value (-1 if unknown and not ``create``)."""
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
                    if key is not None and len(memo) < _DATE_MEMO_MAX:
                        memo[key] = days
                out.append(days)
        elif ftype == "bool":
            out = [None if v is None else (int(v) if type(v) is bool else coerce("bool", v))
                   for v in values]
        elif ftype == "int":
            out = [None if v is None else (v if type(v) is int else coerce("int", v))
                   for v in values]
        elif ftype == "keyword":
            out = [None if v is None else self.code(name, str(v), create=True) for v in values]
        elif ftype == "keywords":
            for v in values:
                if v is None or not isinstance(v, list | tuple):
                    out.append(None)
                    continue
                out.append([self.code(name, str(x), create=True) for x in v])  # repeats harmless
        else:
            out = [None if v is None else coerce(ftype, v) for v in values]  # type: ignore[arg-type]
        return out

    def prepare(self, docs: Sequence[Document]) -> dict[str, Any]:
        """Check and convert a batch's filter fields; change no column.

        Returns ``{field: codes}`` for multi-valued keywords and ``{field: (values, array)}``
        otherwise (``values`` in stored form, None where missing).

        :raises InvalidDocumentError: a value the index cannot hold, naming the field.
        """
        cols: dict[str, Any] = {}
        for name, ftype in self.fields.items():
            try:
                vals = self._coerce_column(name, ftype, [d.fields.get(name) for d in docs])
                if ftype == "keywords":
                    cols[name] = vals
                    continue
                dtype, miss = column_spec(ftype)
                cols[name] = (vals, np.asarray([miss if v is None else v for v in vals],
                                               dtype=dtype))
            except InvalidFilterError as exc:
                raise InvalidDocumentError(f"field {name!r}: {exc}") from exc
            except (OverflowError, ValueError, TypeError) as exc:
                raise InvalidDocumentError(f"field {name!r}: a value the index cannot hold "
                                           f"({exc})") from exc
        return cols

    def set_rows(self, rows: np.ndarray, prepared: dict[str, Any]) -> None:
        """Write a prepared batch's values into ``rows``."""
        self.drop_caches()
        for name, ftype in self.fields.items():
            if ftype == "keywords":
                self._set_keywords(name, rows, prepared[name])
            else:
                self.columns[name][rows] = prepared[name][1]

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
            arr = np.asarray(ci, dtype=np.uint64)
            np.bitwise_or.at(col, (np.asarray(arr >> np.uint64(6), dtype=np.intp),
                                   np.asarray(ri, dtype=np.intp)),
                             np.left_shift(np.uint64(1), arr & np.uint64(63)))

    # -- reading --------------------------------------------------------------------------------
    def drop_caches(self) -> None:
        """Forget cached clause masks and counts (every write does)."""
        self._masks.clear()
        self._counts.clear()

    def mask(self, filters: Filter, live: np.ndarray) -> np.ndarray:
        """Return the rows passing every clause among the ``live`` ones (a new array).

        :raises InvalidFilterError: a clause is malformed.
        """
        n = len(live)
        m = live.copy()
        for name, op, value in validate(filters, self.fields):
            cm = self._clause_mask(name, op, value, n)
            if cm is not None:
                m &= cm
        return m

    def count(self, filters: Filter, live: np.ndarray) -> int:
        """Return how many ``live`` rows pass the filter (cached until the next write)."""
        try:
            key = tuple((c["field"], c["op"], freeze(c["value"])) for c in filters)
            hit = self._counts.get(key)
        except (KeyError, TypeError):  # malformed: let mask() name the problem
            return int(np.count_nonzero(self.mask(filters, live)))
        if hit is None:
            hit = int(np.count_nonzero(self.mask(filters, live)))
            if len(self._counts) >= MASK_CACHE_SIZE:
                self._counts.pop(next(iter(self._counts)))
            self._counts[key] = hit
        return hit

    def _clause_mask(self, name: str, op: str, value: Any, n: int) -> np.ndarray | None:
        """Return the mask of one validated clause (None: every row; cached until a write)."""
        key = (name, op, freeze(value))
        hit = self._masks.get(key)
        if hit is not None and len(hit) == n:
            return hit
        ftype = self.fields[name]
        col = self.columns[name][:n]
        if ftype == "keyword":
            if op == "eq":
                m = col == self.code(name, value, create=False)
            else:
                codes = [c for c in (self.code(name, v, create=False) for v in value) if c >= 0]
                m = np.isin(col, codes) if codes else np.zeros(n, dtype=bool)
        elif ftype == "keywords":
            km = self._keywords_mask(name, op, value, n)
            if km is None:
                return None  # 'all' of nothing: every document
            m = km
        elif ftype == "float":
            m = _compare(col, op, value) & ~np.isnan(col)
        else:
            # The missing marker is the column's minimum, so `gte` excludes it by itself.
            _, miss = column_spec(ftype)
            m = _compare(col, op, value)
            if op != "gte" or value <= miss:
                m &= col != miss
        if len(self._masks) >= MASK_CACHE_SIZE:
            self._masks.pop(next(iter(self._masks)))
        self._masks[key] = m
        return m

    def _keywords_mask(self, name: str, op: str, value: Any, n: int) -> np.ndarray | None:
        """Mask of a clause on a multi-valued keyword field (None: every document)."""
        codes = [self.code(name, v, create=False) for v in
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
        parts: list[np.ndarray] = []
        for c in codes:
            if c < BITMAP_VALUES:
                words[c >> 6] = words.get(c >> 6, 0) | (1 << (c & 63))
            else:
                part = np.zeros(n, dtype=bool)
                rows = self.extra[name].get(c)
                if rows:
                    idx = np.fromiter(rows, dtype=np.int64, count=len(rows))
                    part[idx[idx < n]] = True
                parts.append(part)
        for w, bits in words.items():
            b = np.uint64(bits)
            word = col[w, :n] if w < col.shape[0] else np.zeros(n, dtype=np.uint64)
            parts.append((word & b) != 0 if op == "in" else (word & b) == b)
        m = parts[0]
        for part in parts[1:]:
            m = m | part if op == "in" else m & part
        return m
