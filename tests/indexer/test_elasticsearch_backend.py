"""The Elasticsearch backend passes the shared contract, agrees with the embedded backend,
connects lazily, fails fast with a clear error, and keeps answering during a rebuild."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
import uuid

import numpy as np
import pytest
from fastapi.testclient import TestClient
from live_services import ES_URL, needs_es
from sqlalchemy import select
from support import make_settings, seed_registry

from api.app import create_app
from indexer import analysis
from indexer.documents import WORKERS, job_text, worker_schema
from indexer.elasticsearch import ElasticsearchBackend, ElasticsearchRebuild
from indexer.embedded import EmbeddedBackend
from indexer.protocol import IndexSchema, SearchUnavailableError
from indexer.ranking import CONSENT, job_facts
from indexer.service import Indexer
from indexer.testing import ANALYSIS_TEXTS, DIM, FIELDS, SearchBackendContract, doc
from matcher import eligibility
from matcher.encoder import HashingEncoder
from registry.compliance import job_is_matchable
from registry.db import session_scope
from registry.models import JobOrder, Worker
from training.synthetic import generate

pytestmark = pytest.mark.integration


def es_backend(**kw) -> ElasticsearchBackend:
    """A backend on the test cluster with a prefix no other test uses."""
    return ElasticsearchBackend(ES_URL, prefix=f"shetu-test-{uuid.uuid4().hex[:8]}", **kw)


@needs_es
class TestElasticsearchBackend(SearchBackendContract):
    @pytest.fixture
    def backend(self):
        b = es_backend(timeout_s=10)
        yield b
        b.close()


# -- construction, failures -------------------------------------------------------------------
@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never answers (a hung Elasticsearch)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.setblocking(False)
    yield srv
    srv.close()


def _accepted(srv: socket.socket) -> int:
    n = 0
    while True:
        try:
            conn, _ = srv.accept()
        except BlockingIOError:
            return n
        conn.close()
        n += 1


def test_construction_does_no_io_and_a_hung_server_times_out(silent_server):
    port = silent_server.getsockname()[1]
    b = ElasticsearchBackend(f"http://127.0.0.1:{port}", prefix="t", timeout_s=0.5,
                             max_retries=1)
    time.sleep(0.1)
    assert _accepted(silent_server) == 0  # nothing connected yet
    t0 = time.monotonic()
    with pytest.raises(SearchUnavailableError, match="did not answer within 0.5s"):
        b.count("workers")
    # One try plus one retry, each bounded by the timeout: never a hang.
    assert time.monotonic() - t0 < 0.5 * 2 + 1.0
    assert _accepted(silent_server) >= 1
    b.close()


def _closed_port() -> int:
    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_every_method_says_unavailable_at_once_when_nothing_listens(caplog):
    """Elasticsearch down: each protocol method raises the declared error, never the client's."""
    b = ElasticsearchBackend(f"http://127.0.0.1:{_closed_port()}", prefix="t", timeout_s=2)
    schema = IndexSchema("workers", FIELDS, DIM)
    calls = {
        "ensure_index": lambda: b.ensure_index(schema),
        "upsert": lambda: b.upsert("workers", [doc(1)]),
        "delete": lambda: b.delete("workers", 1, 2),
        "get": lambda: b.get("workers", 1),
        "search": lambda: b.search("workers", text="mason", vector=doc(1).vector),
        "count": lambda: b.count("workers", [{"field": "kind", "op": "eq", "value": "x"}]),
        "versions": lambda: b.versions("workers"),
        "rebuild": lambda: b.rebuild("workers"),
        "drop_index": lambda: b.drop_index("workers"),
    }
    t0 = time.monotonic()
    for name, call in calls.items():
        with pytest.raises(SearchUnavailableError, match="unreachable") as raised:
            call()
        assert type(raised.value) is SearchUnavailableError, name
    # Refused connections fail at once: nine calls with a retry each, far below their timeouts.
    assert time.monotonic() - t0 < 5.0
    b.close()  # makes no request: nothing to be unavailable for
    b.close()
    # A rebuild whose block fails while the engine is gone: the caller sees the block's own
    # error, not the failure to drop the half-built index.
    rebuild = ElasticsearchRebuild(b, "workers", "t-workers-v2", schema)
    with pytest.raises(RuntimeError, match="registry gone"), rebuild:
        raise RuntimeError("registry gone")
    assert rebuild.finished and "could not drop the half-built version" in caplog.text


def test_a_malformed_url_is_unavailable_not_a_client_error():
    b = ElasticsearchBackend("not a url", prefix="t")
    with pytest.raises(SearchUnavailableError, match="cannot connect to Elasticsearch"):
        b.count("workers")
    with pytest.raises(SearchUnavailableError, match="cannot connect to Elasticsearch"):
        b.drop_index("workers")
    b.close()


# -- versions, tombstones, aliases --------------------------------------------------------------
@needs_es
def test_a_tombstone_outlives_gc_deletes_and_versions_are_external():
    b = es_backend()
    schema = IndexSchema("w", FIELDS, DIM)
    b.ensure_index(schema)
    try:
        b.delete("w", 9, version=4)
        assert b.upsert("w", [doc(9, version=3), doc(10, version=1)]) == 1
        assert b.get("w", 9) is None and b.versions("w") == {10: 1}
        # An equal-version delete wins (as in the embedded backend); an older one does not.
        assert b.delete("w", 10, version=1) and not b.delete("w", 9, version=2)
        assert b.count("w") == 0
        # The alias names the live physical version.
        assert b.client.indices.get_alias(name=b.alias("w"))
    finally:
        b.drop_index("w")
        b.close()


@needs_es
def test_searches_keep_answering_while_a_rebuild_runs_and_swaps():
    b = es_backend(timeout_s=10)
    schema = IndexSchema("w", FIELDS, DIM)
    b.ensure_index(schema)
    b.upsert("w", [doc(i, text=f"steel fixer rebar {i}") for i in range(1, 301)])
    results: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                results.append(len(b.search("w", text="rebar", vector=doc(5).vector, k=20)))
            except BaseException as exc:  # noqa: BLE001 — collected and asserted below
                errors.append(exc)

    t = threading.Thread(target=reader)
    t.start()
    try:
        with b.rebuild("w") as rebuild:
            for start in range(1, 301, 50):
                rebuild.upsert([doc(i, version=2, text=f"steel fixer rebar {i}")
                                for i in range(start, start + 50)])
        physical = rebuild.physical
        time.sleep(0.3)
    finally:
        stop.set()
        t.join()
    assert not errors, errors[:3]
    assert len(results) > 5 and min(results) >= 20
    assert b.get("w", 1).version == 2 and b.count("w") == 300
    assert list(b.client.indices.get_alias(name=b.alias("w"))) == [physical]
    b.drop_index("w")
    b.close()


@needs_es
def test_an_aborted_rebuild_keeps_the_alias_and_removes_the_half_built_index():
    b = es_backend()
    b.ensure_index(IndexSchema("w", FIELDS, DIM))
    try:
        b.upsert("w", [doc(i, text=f"mason {i}") for i in range(1, 11)])
        live = list(b.client.indices.get_alias(name=b.alias("w")))
        with pytest.raises(RuntimeError, match="registry gone"), b.rebuild("w") as rebuild:
            rebuild.upsert([doc(i, version=2, text="carpenter") for i in range(1, 6)])
            assert b.client.indices.exists(index=rebuild.physical)
            raise RuntimeError("registry gone")
        assert list(b.client.indices.get_alias(name=b.alias("w"))) == live
        assert not b.client.indices.exists(index=rebuild.physical)
        assert b.count("w") == 10 and b.get("w", 1).version == 1
        assert {h.id for h in b.search("w", text="carpenter", vector=None)} == set()
    finally:
        b.drop_index("w")
        b.close()
    b.drop_index("w")  # dropping what is gone is not an error
    assert not b.client.indices.get(index=f"{b.alias('w')}-v*")
    b.close()


# -- agreement with the embedded backend on real-ish data ---------------------------------------
@needs_es
def test_hybrid_results_agree_with_the_embedded_backend(tmp_path, taxonomy, settings):
    data = generate(taxonomy, settings.data_dir, seed=11, workers=300, job_orders=12,
                    agencies=4, employers=8, today=dt.date.today())
    workers = []
    for i, w in enumerate(data.workers, 1):
        row = Worker(**w)
        row.id, row.version = i, 1
        workers.append(row)
    ix = Indexer(settings, backend=EmbeddedBackend(tmp_path / "idx"), encoder=HashingEncoder(),
                 taxonomy=taxonomy)
    docs = ix.worker_docs(workers)
    schema = worker_schema(ix.encoder.dim)
    emb, es = ix.backend, es_backend(timeout_s=10)
    for b in (emb, es):
        b.ensure_index(schema)
        assert b.upsert(WORKERS, docs) == len(docs)
    queries = [
        ("welder steel fabrication", []),
        ("cook kitchen food preparation", [{"field": "medical_fit", "op": "eq", "value": True}]),
        ("construction labourer building", [{"field": "ntvqf_level", "op": "gte", "value": 1}]),
        ("driver vehicle", [{"field": "gender", "op": "eq", "value": "male"}]),
        ("electrician wiring installation", [{"field": "consent", "op": "eq", "value": True}]),
        ("domestic housekeeping cleaning", [{"field": "date_of_birth", "op": "gte",
                                             "value": "1985-01-01"}]),
    ]
    overlaps, kw_overlaps = [], []
    try:
        for text, filters in queries:
            vec = ix.encoder.encode([text])[0]
            a = emb.search(WORKERS, text=text, vector=vec, filters=filters, k=10)
            b = es.search(WORKERS, text=text, vector=vec, filters=filters, k=10)
            ids_a, ids_b = {h.id for h in a}, {h.id for h in b}
            overlaps.append(len(ids_a & ids_b) / max(len(ids_a | ids_b), 1))
            kw_a = {h.id for h in a if h.keyword_score > 0}
            kw_b = {h.id for h in b if h.keyword_score > 0}
            kw_overlaps.append(len(kw_a & kw_b) / max(len(kw_a), len(kw_b), 1))
            # Exact cosine on both sides: the same documents get the same vector score.
            va = {h.id: h.vector_score for h in a}
            for h in b:
                if h.id in va:
                    assert h.vector_score == pytest.approx(va[h.id], abs=1e-4)
            assert emb.count(WORKERS, filters) == es.count(WORKERS, filters)
        print(f"\ntop-10 overlap (Jaccard of the hybrid union) per query: "
              f"{[round(o, 2) for o in overlaps]}, mean {np.mean(overlaps):.2f}; "
              f"keyword leg: mean {np.mean(kw_overlaps):.2f}")
        assert np.mean(overlaps) >= 0.7
        assert np.mean(kw_overlaps) >= 0.7
    finally:
        es.drop_index(WORKERS)
        es.close()
        emb.close()


@needs_es
def test_the_index_holds_the_same_tokens_as_the_embedded_analyser():
    """ES's analyser on the stored text yields exactly indexer.analysis's tokens (English,
    Bangla), and a query is sent as the same tokens the embedded backend searches."""
    b = es_backend()
    b.ensure_index(IndexSchema("w", FIELDS, DIM))
    try:
        for text in ANALYSIS_TEXTS:
            got = b.client.indices.analyze(index=b.alias("w"), field="text",
                                           text=analysis.es_text(text))
            assert [t["token"] for t in got["tokens"]] == analysis.analyse(text)
        assert analysis.analyse("রাজমিস্ত্রি")[0] == "রাজমিস"  # split at the virama, alike
    finally:
        b.drop_index("w")
        b.close()


@needs_es
def test_keyword_scores_agree_with_the_embedded_backend(tmp_path, taxonomy, settings):
    """Same documents, same job-order queries under their eligibility filters: the same top-10
    order and the same max-normalised BM25 (what the ranking uses) on both backends."""
    data = generate(taxonomy, settings.data_dir, seed=12, workers=400, job_orders=30,
                    agencies=4, employers=8, today=dt.date.today())
    workers = []
    for i, w in enumerate(data.workers, 1):
        row = Worker(**w)
        row.id, row.version = i, 1
        workers.append(row)
    ix = Indexer(settings, backend=EmbeddedBackend(tmp_path / "idx"), encoder=HashingEncoder(),
                 taxonomy=taxonomy)
    docs = ix.worker_docs(workers)
    emb, es = ix.backend, es_backend(timeout_s=10)
    for b in (emb, es):
        b.ensure_index(worker_schema(ix.encoder.dim))
        assert b.upsert(WORKERS, docs) == len(docs)
    compared = 0
    try:
        for i, j in enumerate(data.job_orders, 1):
            job = JobOrder(**j)
            job.id = i
            filters = [c.as_dict() for c in (CONSENT, *eligibility.filter_clauses(
                job_facts(job)))]
            text = job_text(job, taxonomy)
            a = sorted(emb.search(WORKERS, text=text, vector=None, filters=filters, k=10),
                       key=lambda h: (-h.keyword_score, h.id))
            b = sorted(es.search(WORKERS, text=text, vector=None, filters=filters, k=10),
                       key=lambda h: (-h.keyword_score, h.id))
            assert len(a) == len(b)
            if not a:
                continue
            na = [h.keyword_score / a[0].keyword_score for h in a]
            nb = [h.keyword_score / b[0].keyword_score for h in b]
            assert nb == pytest.approx(na, abs=2e-3)
            # Same order, except among documents whose scores tie.
            for x, y, s in zip(a, b, na, strict=True):
                tied = sum(abs(s - t) < 2e-3 for t in na)
                assert x.id == y.id or tied > 1
            compared += 1
    finally:
        es.drop_index(WORKERS)
        es.close()
        emb.close()
    assert compared >= 10


def test_the_api_answers_503_when_search_hangs_and_writes_still_succeed(tmp_path, taxonomy,
                                                                       silent_server):
    """A hung Elasticsearch: searches get a clear 503 within the timeout, writes are stored."""
    settings = make_settings(tmp_path)
    ix = seed_registry(settings, taxonomy, workers=30, job_orders=10, agencies=3)["indexer"]
    port = silent_server.getsockname()[1]
    hung = make_settings(tmp_path, search_backend="elasticsearch",
                         elasticsearch_url=f"http://127.0.0.1:{port}",
                         elasticsearch_timeout_s=0.5)
    with TestClient(create_app(hung, warm_up=False)) as client:
        r = client.post("/api/v1/auth/token", data={"username": "admin", "password": "shetu-demo"})
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        with session_scope(settings.database_url) as s:
            jid = next(j.id for j in s.scalars(select(JobOrder))
                       if job_is_matchable(j, dt.date.today()))
        t0 = time.monotonic()
        r = client.get(f"/api/v1/job-orders/{jid}/candidates", headers=auth)
        assert r.status_code == 503
        assert "search is unavailable" in r.json()["detail"] and "0.5s" in r.json()["detail"]
        assert time.monotonic() - t0 < 3
        r = client.post("/api/v1/workers", headers=auth, json={
            "full_name": "Stored Anyway", "date_of_birth": "1990-01-01", "gender": "male"})
        assert r.status_code == 201
        wid = r.json()["id"]
    # The outbox kept the change: once search answers again it is indexed.
    assert ix.drain_outbox() >= 1 and ix.backend.get(WORKERS, wid) is not None
    ix.backend.close()
