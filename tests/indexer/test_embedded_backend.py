"""The embedded backend passes the shared contract, persists, and sees another process's swap."""

from __future__ import annotations

import pytest

from indexer.embedded import EmbeddedBackend
from indexer.protocol import IndexSchema
from indexer.testing import DIM, FIELDS, SearchBackendContract, doc


class TestEmbeddedBackend(SearchBackendContract):
    @pytest.fixture
    def backend(self, tmp_path):
        b = EmbeddedBackend(tmp_path / "index")
        yield b
        b.close()


def test_state_survives_close_and_reopen(tmp_path):
    schema = IndexSchema("w", FIELDS, DIM)
    b = EmbeddedBackend(tmp_path)
    b.ensure_index(schema)
    b.upsert("w", [doc(i, text=f"plumber pipes {i}") for i in range(1, 8)])
    b.delete("w", 3, version=2)
    b.close()
    b2 = EmbeddedBackend(tmp_path)
    b2.ensure_index(schema)
    assert b2.count("w") == 6
    assert {h.id for h in b2.search("w", text="plumber", vector=None, k=10)} == {1, 2, 4, 5, 6, 7}
    # The tombstone survived too: a late, older create stays deleted.
    assert b2.upsert("w", [doc(3, version=1)]) == 0
    b2.close()


def test_a_reader_sees_a_rebuild_done_by_another_instance(tmp_path):
    schema = IndexSchema("w", FIELDS, DIM)
    server, cli = EmbeddedBackend(tmp_path), EmbeddedBackend(tmp_path)
    for b in (server, cli):
        b.ensure_index(schema)
    server.upsert("w", [doc(i) for i in range(1, 4)])
    server.close()
    with cli.rebuild("w") as rebuild:
        rebuild.upsert([doc(i, version=2) for i in range(1, 10)])
    assert server.count("w") == 9
    server.close()
    cli.close()


def test_keyword_leg_returns_the_conjunctions_hits_and_scores(seeded):
    """The two-step BM25 leg (text top-L under the mask) equals ``text AND filters`` (the
    filters scoring 0), on the seeded registry's job orders and eligibility filters."""
    import datetime as dt

    from sqlalchemy import select

    from indexer.documents import WORKERS, job_schema, job_text, worker_schema
    from indexer.ranking import CONSENT, job_facts
    from matcher import eligibility
    from registry.models import JobOrder

    ix = seeded["indexer"]
    ix.backend.flush()
    root, dim = ix.backend.root, ix.encoder.dim
    two_step = EmbeddedBackend(root, two_step_min_share=0.0)  # always the two-step form
    conjunction = EmbeddedBackend(root, keyword="conjunction")
    for b in (two_step, conjunction):
        b.ensure_index(worker_schema(dim))
        b.ensure_index(job_schema(dim))
    with ix.sessions() as s:
        jobs = list(s.scalars(select(JobOrder).order_by(JobOrder.id)))
    cases = []
    for j in jobs:
        cases.append((job_text(j, ix.taxonomy),
                      [c.as_dict() for c in (CONSENT, *eligibility.filter_clauses(job_facts(j)))]))
    cases.append(("welder cook driver skills", [{"field": "languages", "op": "all",
                                                 "value": ["Arabic"]},
                                                {"field": "gender", "op": "eq",
                                                 "value": "male"}]))
    cases.append(("welder cook driver skills", [{"field": "date_of_birth", "op": "lte",
                                                 "value": dt.date(1995, 1, 1).isoformat()}]))
    nonempty = 0
    for text, filters in cases:
        for k in (5, 40):
            got = {h.id: h.keyword_score for h in two_step.search(
                WORKERS, text=text, vector=None, filters=filters, k=k)}
            want = {h.id: h.keyword_score for h in conjunction.search(
                WORKERS, text=text, vector=None, filters=filters, k=k)}
            assert len(got) == len(want)
            # Same scores position by position (ids may swap only among equal scores).
            assert sorted(got.values()) == pytest.approx(sorted(want.values()), abs=1e-4)
            kth = min(want.values(), default=0.0)
            assert {i for i, v in want.items() if v > kth + 1e-4} <= set(got)
            nonempty += bool(want)
    assert nonempty > len(cases)
    two_step.close()
    conjunction.close()


def test_a_range_covering_every_document_adds_nothing_to_the_scores(tmp_path):
    """tantivy scored a range clause 1.0, or 0 when it matched every document: no longer."""
    import numpy as np

    from indexer.protocol import Document

    b = EmbeddedBackend(tmp_path / "index", two_step_min_share=0.0)
    b.ensure_index(IndexSchema("w", {"age": "int"}, 4))
    v = np.array([1, 0, 0, 0], dtype=np.float32)
    b.upsert("w", [Document(id=1, version=1, text="welder pipe", vector=v, fields={"age": 30}),
                   Document(id=2, version=1, text="welder", vector=v, fields={"age": 40}),
                   Document(id=3, version=1, text="cook", vector=v, fields={"age": 10})])
    plain = {h.id: h.keyword_score for h in b.search("w", text="welder", vector=None, k=5)}
    assert plain.keys() == {1, 2}
    for low in (20, 5):  # the second bound covers every document
        got = {h.id: h.keyword_score for h in b.search(
            "w", text="welder", vector=None, k=5,
            filters=[{"field": "age", "op": "gte", "value": low}])}
        assert got == pytest.approx(plain, abs=1e-6)
    b.close()
