"""Contract tests every SearchBackend must pass, as capability mixins (haystack-style).

A backend's test class inherits :class:`SearchBackendContract` (or only the mixins it supports)
and provides a ``backend`` fixture; each test gets its own uniquely named index and drops it
afterwards. The mixins: :class:`VersioningTests` (versions, tombstones, get/count/versions),
:class:`FilterTests` (the filter language), :class:`SearchTests` (both legs, scores, analysis),
:class:`RebuildTests` (the :class:`~indexer.protocol.Rebuild` handle) and :class:`ErrorTests`
(the declared errors).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from indexer.protocol import (
    Document,
    IndexSchema,
    InvalidDocumentError,
    InvalidFilterError,
    SearchBackend,
    UnknownIndexError,
)

DIM = 8
FIELDS: dict[str, Any] = {"kind": "keyword", "tags": "keywords", "level": "int", "born": "date",
                          "ok": "bool", "price": "float"}
# Texts the analyser must treat alike on every backend: English inflections, Bangla script
# (vowel signs inside words, a virama), digits, punctuation.
ANALYSIS_TEXTS = [
    "Welding and pipe-fitting: 5 years, welded steel pipes",
    "আমি একজন রাজমিস্ত্রি, পাঁচ বছরের কাজের অভিজ্ঞতা",
    "Electrician (wiring, installations); ইলেকট্রিশিয়ান",
]


def unit(seed: int) -> np.ndarray:
    """Return a deterministic unit vector."""
    v = np.random.default_rng(seed).normal(size=DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def doc(i: int, version: int = 1, text: str = "", **fields: Any) -> Document:
    """Build a test document."""
    base = {"kind": "a" if i % 2 else "b", "tags": ["x"] if i % 3 else ["x", "y"],
            "level": i % 5, "born": f"19{60 + i % 40:02d}-06-15", "ok": i % 4 != 0,
            "price": float(i)}
    base.update(fields)
    return Document(id=i, version=version, text=text or f"document number {i}",
                    vector=unit(i), fields=base, payload={"n": i})


class _IndexFixture:
    @pytest.fixture
    def index(self, backend: SearchBackend) -> Iterator[str]:
        name = f"contract-{uuid.uuid4().hex[:10]}"
        backend.ensure_index(IndexSchema(name, FIELDS, DIM))
        yield name
        backend.drop_index(name)


class VersioningTests(_IndexFixture):
    """Documents carry versions; older writes and deletes never win."""

    def test_upsert_then_get_and_count(self, backend, index):
        assert backend.upsert(index, [doc(i) for i in range(1, 21)]) == 20
        got = backend.get(index, 7)
        assert got is not None and got.version == 1 and got.payload == {"n": 7}
        assert got.fields["kind"] == "a"
        assert backend.count(index) == 20
        assert backend.get(index, 999) is None

    def test_older_version_never_overwrites_newer(self, backend, index):
        backend.upsert(index, [doc(1, version=3, text="welder steel")])
        assert backend.upsert(index, [doc(1, version=2, text="cook kitchen")]) == 0
        assert backend.get(index, 1).version == 3
        hits = backend.search(index, text="welder", vector=None, k=5)
        assert [h.id for h in hits] == [1]
        assert backend.search(index, text="kitchen", vector=None, k=5) == []

    def test_delete_before_create_is_not_resurrected(self, backend, index):
        assert backend.delete(index, 5, version=2)
        backend.upsert(index, [doc(5, version=1)])
        assert backend.get(index, 5) is None
        assert backend.count(index) == 0
        backend.upsert(index, [doc(5, version=3)])
        assert backend.get(index, 5).version == 3

    def test_delete_removes_from_search_and_versions(self, backend, index):
        backend.upsert(index, [doc(i, text=f"mason bricks {i}") for i in range(1, 6)])
        backend.delete(index, 2, version=2)
        ids = {h.id for h in backend.search(index, text="mason", vector=unit(2), k=10)}
        assert 2 not in ids and ids == {1, 3, 4, 5}
        assert 2 not in backend.versions(index)
        assert backend.versions(index)[3] == 1


class FilterTests(_IndexFixture):
    """The filter language: the same documents in count, keyword and vector legs; no scores."""

    @pytest.mark.parametrize("clause,expected", [
        ({"field": "kind", "op": "eq", "value": "a"}, lambda i: i % 2 == 1),
        ({"field": "kind", "op": "in", "value": ["a", "zz"]}, lambda i: i % 2 == 1),
        ({"field": "level", "op": "gte", "value": 3}, lambda i: i % 5 >= 3),
        ({"field": "level", "op": "lte", "value": 1}, lambda i: i % 5 <= 1),
        ({"field": "level", "op": "eq", "value": 2}, lambda i: i % 5 == 2),
        ({"field": "born", "op": "gte", "value": "1980-01-01"}, lambda i: 60 + i % 40 >= 80),
        ({"field": "born", "op": "lte", "value": "1970-06-15"}, lambda i: 60 + i % 40 <= 70),
        ({"field": "ok", "op": "eq", "value": True}, lambda i: i % 4 != 0),
        ({"field": "tags", "op": "all", "value": ["x", "y"]}, lambda i: i % 3 == 0),
        ({"field": "tags", "op": "all", "value": []}, lambda _i: True),
        ({"field": "tags", "op": "all", "value": ["nope"]}, lambda _i: False),
        ({"field": "tags", "op": "in", "value": ["y", "nope"]}, lambda i: i % 3 == 0),
        ({"field": "price", "op": "gte", "value": 10.5}, lambda i: i >= 11),
    ])
    def test_filters_agree_in_count_keyword_and_vector_legs(self, backend, index, clause,
                                                            expected):
        backend.upsert(index, [doc(i, text="common words here") for i in range(1, 41)])
        want = {i for i in range(1, 41) if expected(i)}
        assert backend.count(index, [clause]) == len(want)
        kw = backend.search(index, text="common", vector=None, filters=[clause], k=100)
        assert {h.id for h in kw} == want
        vec = backend.search(index, text=None, vector=unit(1), filters=[clause], k=100)
        assert {h.id for h in vec} == want

    def test_filters_do_not_change_keyword_scores(self, backend, index):
        words = ["welder", "steel", "pipe", "cook", "kitchen", "driver"]
        backend.upsert(index, [doc(i, text=" ".join(words[j % 6] for j in range(i, i + 1 + i % 4)))
                               for i in range(1, 61)])
        text = "welder steel pipe"
        plain = {h.id: h.keyword_score for h in backend.search(index, text=text, vector=None,
                                                               k=100)}
        assert len(plain) > 10
        for clauses in ([{"field": "kind", "op": "eq", "value": "a"}],
                        [{"field": "tags", "op": "all", "value": ["x", "y"]},
                         {"field": "level", "op": "gte", "value": 2}],
                        [{"field": "born", "op": "lte", "value": "1990-01-01"},
                         {"field": "ok", "op": "eq", "value": True},
                         {"field": "price", "op": "gte", "value": 3.0}]):
            hits = backend.search(index, text=text, vector=None, filters=clauses, k=100)
            assert hits
            for h in hits:
                assert h.keyword_score == pytest.approx(plain[h.id], rel=1e-5), clauses

    def test_missing_field_matches_no_clause_on_it(self, backend, index):
        backend.upsert(index, [doc(1, level=None), doc(2)])
        assert backend.count(index, [{"field": "level", "op": "gte", "value": 0}]) == 1
        assert backend.count(index, [{"field": "level", "op": "lte", "value": 99}]) == 1

    def test_bad_filters_are_refused_with_the_field_named(self, backend, index):
        backend.upsert(index, [doc(1)])
        with pytest.raises(InvalidFilterError, match="nosuch"):
            backend.count(index, [{"field": "nosuch", "op": "eq", "value": 1}])
        with pytest.raises(InvalidFilterError, match="like"):
            backend.count(index, [{"field": "kind", "op": "like", "value": "a"}])
        with pytest.raises(InvalidFilterError):
            backend.count(index, [{"field": "born", "op": "gte", "value": "not-a-date"}])
        with pytest.raises(InvalidFilterError, match="nosuch"):
            backend.search(index, text="x", vector=None,
                           filters=[{"field": "nosuch", "op": "eq", "value": 1}])

    def test_many_distinct_values_of_a_multi_valued_field_stay_filterable(self, backend, index):
        # 150 distinct values (an embedded bit set once held 62; one more bricked the index).
        docs = [doc(i, tags=[f"lang{i}", f"lang{i + 1}", "common"]) for i in range(1, 150)]
        assert backend.upsert(index, docs) == 149
        assert backend.count(index) == 149
        assert backend.count(index, [{"field": "tags", "op": "eq", "value": "lang100"}]) == 2
        assert backend.count(index, [{"field": "tags", "op": "all",
                                      "value": ["lang100", "lang101"]}]) == 1
        assert backend.count(index, [{"field": "tags", "op": "all",
                                      "value": ["lang3", "lang140"]}]) == 0
        assert backend.count(index, [{"field": "tags", "op": "in",
                                      "value": ["lang2", "lang120", "nope"]}]) == 4
        assert backend.count(index, [{"field": "tags", "op": "all",
                                      "value": ["common", "lang149", "lang150"]}]) == 1
        hits = backend.search(index, text="document", vector=unit(1), k=200,
                              filters=[{"field": "tags", "op": "in", "value": ["lang71"]}])
        assert {h.id for h in hits} == {70, 71}
        # A later document with yet another new value is indexed and found.
        backend.upsert(index, [doc(500, tags=["brand-new"])])
        assert backend.count(index, [{"field": "tags", "op": "eq", "value": "brand-new"}]) == 1
        # Replacing a document's values moves it between the filters.
        backend.upsert(index, [doc(100, version=2, tags=["lang3"])])
        assert backend.count(index, [{"field": "tags", "op": "eq", "value": "lang100"}]) == 1
        assert backend.count(index, [{"field": "tags", "op": "eq", "value": "lang3"}]) == 3


class SearchTests(_IndexFixture):
    """Hybrid retrieval: both legs, both scores, one analyser."""

    def test_hybrid_search_returns_both_legs_with_both_scores(self, backend, index):
        docs = [doc(i, text=f"filler text {i}") for i in range(1, 30)]
        docs.append(doc(100, text="electrician wiring installation"))
        backend.upsert(index, docs)
        hits = {h.id: h for h in backend.search(index, text="electrician wiring",
                                                vector=unit(7), k=3)}
        assert 100 in hits and hits[100].keyword_score > 0
        assert 7 in hits and hits[7].vector_score == pytest.approx(1.0, abs=1e-3)
        # Every returned hit has its cosine, also those only the keyword leg found.
        assert hits[100].vector_score == pytest.approx(float(unit(100) @ unit(7)), abs=1e-3)

    def test_vector_leg_returns_nearest_first_k(self, backend, index):
        backend.upsert(index, [doc(i) for i in range(1, 51)])
        q = unit(9)
        hits = backend.search(index, text=None, vector=q, k=5)
        exact = sorted(range(1, 51), key=lambda i: -float(unit(i) @ q))[:5]
        assert {h.id for h in hits} == set(exact)

    def test_keyword_leg_returns_the_best_k_by_bm25(self, backend, index):
        # doc i mentions "mason" i times among 10 words: more mentions, higher BM25
        backend.upsert(index, [doc(i, text=" ".join(["mason"] * i + ["filler"] * (10 - i)))
                               for i in range(1, 11)])
        hits = sorted(backend.search(index, text="mason", vector=None, k=3),
                      key=lambda h: -h.keyword_score)
        assert [h.id for h in hits] == [10, 9, 8]

    @pytest.mark.parametrize("text,query", [
        (ANALYSIS_TEXTS[0], "welder? no: WELD pipes"),
        (ANALYSIS_TEXTS[1], "রাজমিস্ত্রি"),
        (ANALYSIS_TEXTS[1], "কাজের"),
        (ANALYSIS_TEXTS[2], "ইলেকট্রিশিয়ান installation"),
    ])
    def test_queries_are_analysed_like_documents_english_and_bangla(self, backend, index,
                                                                    text, query):
        backend.upsert(index, [doc(1, text=text), doc(2, text="unrelated words only")])
        hits = backend.search(index, text=query, vector=None, k=5)
        assert [h.id for h in hits] == [1] and hits[0].keyword_score > 0


class RebuildTests(_IndexFixture):
    """A rebuild fills a new version beside the live one; leaving its block swaps or drops it."""

    def test_rebuild_swaps_atomically_and_search_keeps_answering(self, backend, index):
        backend.upsert(index, [doc(i, text="old text") for i in range(1, 11)])
        with backend.rebuild(index) as rebuild:
            rebuild.upsert([doc(i, version=2, text="new text") for i in range(1, 6)])
            # The live version still answers, unchanged, during the rebuild.
            assert backend.count(index) == 10
            assert len(backend.search(index, text="old", vector=None, k=20)) == 10
        assert backend.count(index) == 5
        assert {h.id for h in backend.search(index, text="new", vector=None, k=20)} == \
            {1, 2, 3, 4, 5}
        assert backend.get(index, 1).version == 2

    def test_a_failed_rebuild_leaves_the_live_version_as_it_was(self, backend, index):
        backend.upsert(index, [doc(i, text="old text") for i in range(1, 11)])
        with pytest.raises(RuntimeError, match="registry gone"), backend.rebuild(index) as r:
            r.upsert([doc(i, version=2, text="new text") for i in range(1, 4)])
            raise RuntimeError("registry gone")
        assert backend.count(index) == 10 and backend.get(index, 1).version == 1
        assert backend.search(index, text="new", vector=None, k=5) == []
        with backend.rebuild(index) as rebuild:  # and the next rebuild works
            rebuild.upsert([doc(1, version=3)])
        assert backend.count(index) == 1 and backend.versions(index) == {1: 3}
        assert rebuild.finished

    def test_a_bad_document_in_a_rebuild_is_refused_with_the_declared_error(self, backend,
                                                                             index):
        backend.upsert(index, [doc(1)])
        with pytest.raises(InvalidDocumentError, match="level"), backend.rebuild(index) as r:
            r.upsert([doc(2), doc(3, level="three")])
        assert backend.versions(index) == {1: 1}


class ErrorTests(_IndexFixture):
    """Backends raise the protocol's declared errors only."""

    def test_an_unknown_index_raises_the_declared_error(self, backend, index):
        missing = f"missing-{uuid.uuid4().hex[:8]}"
        calls = [lambda: backend.search(missing, text="x", vector=unit(1), k=3),
                 lambda: backend.count(missing),
                 lambda: backend.upsert(missing, [doc(1)]),
                 lambda: backend.get(missing, 1),
                 lambda: backend.delete(missing, 1, version=1),
                 lambda: backend.versions(missing),
                 lambda: backend.rebuild(missing)]
        for call in calls:
            with pytest.raises(UnknownIndexError):
                call()
        backend.drop_index(index)
        with pytest.raises(UnknownIndexError):
            backend.count(index)

    def test_a_document_the_index_cannot_hold_is_refused_and_nothing_written(self, backend,
                                                                             index):
        for bad in (doc(2, level="three"), doc(2, born="not-a-date"),
                    Document(id=2, version=1, text="x", vector=np.ones(DIM + 1), fields={})):
            with pytest.raises(InvalidDocumentError):
                backend.upsert(index, [doc(1), bad])
        assert backend.count(index) == 0


class SearchBackendContract(VersioningTests, FilterTests, SearchTests, RebuildTests,
                            ErrorTests):
    """Every capability: what both backends must show."""
