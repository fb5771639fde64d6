"""The keyword leg of the embedded backend: tantivy holds the text (BM25) and the filter fields.

Filters select and score nothing: a hit's score is the BM25 of the query text alone, as on
Elasticsearch (whose filters run in filter context). Two forms give the same top k:

- ``two_step`` (default): the text alone, top ``L`` (tantivy's block-max WAND), kept where the
  numpy filter mask holds; ``L`` grows ×4 until ``k`` eligible documents are among the fetched
  ones (no unfetched one can score higher: the scores are the text's own) or every match is
  fetched. Under a selective filter (fewer than ``min_share`` of the documents eligible) the
  text would have to be ranked deep, and the conjunction below runs instead.
- ``conjunction``: one tantivy query, ``text AND filters`` with the filter clauses wrapped in a
  constant score of 0 — the reference the tests and benchmarks compare with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import tantivy

from indexer import analysis
from indexer.filters import validate
from indexer.protocol import Document, FieldType, Filter

KeywordForm = Literal["two_step", "conjunction"]
TWO_STEP_MIN_SHARE = 0.1  # below this eligible share the BM25 leg runs as one conjunction
WRITER_HEAP = 128_000_000


def tantivy_schema(fields: Mapping[str, FieldType]) -> tantivy.Schema:
    """Return the tantivy schema: id, analysed text, and every filter field."""
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("id", stored=True, indexed=True, fast=True)
    sb.add_text_field("text", stored=False, tokenizer_name=analysis.TOKENIZER_NAME)
    for name, ftype in fields.items():
        if ftype in ("keyword", "keywords"):
            sb.add_text_field(name, stored=False, tokenizer_name="raw")
        elif ftype == "float":
            sb.add_float_field(name, stored=False, indexed=True, fast=True)
        else:
            sb.add_integer_field(name, stored=False, indexed=True, fast=True)
    return sb.build()


class TextIndex:
    """The tantivy index of one physical version, and the keyword leg's two forms."""

    def __init__(self, path: Path, fields: Mapping[str, FieldType], *,
                 form: KeywordForm = "two_step", min_share: float = TWO_STEP_MIN_SHARE) -> None:
        self.fields = fields
        self.form = form
        self.min_share = min_share
        self.schema = tantivy_schema(fields)
        path.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(self.schema, path=str(path))
        # The one analyser of indexer.analysis, under the name the schema has always used.
        self.index.register_tokenizer(analysis.TOKENIZER_NAME, analysis.text_analyzer())

    def writer(self) -> tantivy.IndexWriter:
        """Take tantivy's writer lock; raises ``ValueError`` while another process holds it."""
        return self.index.writer(heap_size=WRITER_HEAP, num_threads=1)

    def documents(self, docs: Sequence[Document], typed: Mapping[str, Any]
                  ) -> Iterator[tantivy.Document]:
        """Yield the tantivy documents of a batch (id, text and every filter field).

        ``typed`` holds the batch's prepared filter values (see ``FilterColumns.prepare``).
        A generator: each document goes to the writer as soon as it is built, so tantivy's
        indexing thread works while the next ones are built.
        """
        per_field: list[tuple[str, Any, Sequence[Any]]] = []
        for name, ftype in self.fields.items():
            if ftype in ("date", "bool", "int"):
                vals = typed[name][0]
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

    def all_ids(self) -> list[int]:
        """Every id tantivy holds, duplicates included (recovery checks)."""
        searcher = self.index.searcher()
        if not searcher.num_docs:
            return []
        hits = searcher.search(tantivy.Query.all_query(), limit=searcher.num_docs,
                               count=False).hits
        ids: list[int] = np.asarray(searcher.fast_field_values("id", [a for _, a in hits]),
                                    dtype=np.int64).tolist()
        return ids

    # -- queries --------------------------------------------------------------------------------
    def _text_query(self, tokens: list[str]) -> tantivy.Query:
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "text", t))
             for t in tokens])

    def _filter_queries(self, filters: Filter) -> list[tantivy.Query]:
        """Return each validated clause as a tantivy query."""
        out: list[tantivy.Query] = []
        for name, op, value in validate(filters, self.fields):
            ftype = self.fields[name]
            if ftype in ("keyword", "keywords"):
                vals = value if isinstance(value, list) else [value]
                if op in ("eq", "all"):
                    out.extend(tantivy.Query.term_query(self.schema, name, v) for v in vals)
                else:
                    out.append(tantivy.Query.term_set_query(self.schema, name, vals))
                continue
            tft = tantivy.FieldType.Float if ftype == "float" else tantivy.FieldType.Integer
            if op == "eq":
                q = tantivy.Query.range_query(self.schema, name, tft, value, value)
            elif op == "in":
                q = tantivy.Query.boolean_query([
                    (tantivy.Occur.Should, tantivy.Query.range_query(self.schema, name, tft, v, v))
                    for v in value] or [(tantivy.Occur.Must, tantivy.Query.empty_query())])
            elif op == "gte":
                q = tantivy.Query.range_query(self.schema, name, tft, value, None)
            else:
                q = tantivy.Query.range_query(self.schema, name, tft, None, value)
            out.append(q)
        return out

    def search(self, text: str, filters: Filter, k: int, mask: np.ndarray, n_live: int,
               rows_of: Callable[[np.ndarray], np.ndarray]) -> dict[int, float]:
        """BM25 top-k of ``text`` among the documents passing ``filters`` (their mask).

        :param rows_of: maps document ids to rows of ``mask`` (-1: not held).
        :returns: ``{id: BM25 of the text}``.
        """
        tokens = analysis.query_tokens(text)
        if not tokens or k <= 0:
            return {}
        n_eligible = int(np.count_nonzero(mask))
        if n_eligible == 0:
            return {}
        share = n_eligible / max(n_live, 1)
        if self.form == "conjunction" or share < self.min_share:
            return self.conjunction(tokens, filters, k)
        text_q = self._text_query(tokens)
        searcher = self.index.searcher()
        limit = max(4 * k, int(2 * k / share) + 1)
        while True:
            hits = searcher.search(text_q, limit=limit, count=False).hits
            ids = np.asarray(searcher.fast_field_values("id", [a for _, a in hits])
                             if hits else [], dtype=np.int64)
            rows = rows_of(ids)
            ok = rows >= 0
            ok[ok] = mask[rows[ok]]
            found = np.flatnonzero(ok)
            if len(found) >= k or len(hits) < limit:
                # tantivy returns hits best first; equal scores keep its order
                return {int(ids[i]): float(hits[i][0]) for i in found[:k].tolist()}
            limit *= 4

    def conjunction(self, tokens: list[str], filters: Filter, k: int) -> dict[int, float]:
        """Top k of ``text AND filters`` in one query, the filters scoring 0."""
        q = self._text_query(tokens)
        fqs = self._filter_queries(filters)
        if fqs:
            only = tantivy.Query.const_score_query(
                tantivy.Query.boolean_query([(tantivy.Occur.Must, f) for f in fqs]), 0.0)
            q = tantivy.Query.boolean_query([(tantivy.Occur.Must, q),
                                             (tantivy.Occur.Must, only)])
        searcher = self.index.searcher()
        hits = searcher.search(q, limit=k, count=False).hits
        ids = np.asarray(searcher.fast_field_values("id", [a for _, a in hits]) if hits else [],
                         dtype=np.int64).tolist()
        return {i: float(sc) for i, (sc, _) in zip(ids, hits, strict=True)}
