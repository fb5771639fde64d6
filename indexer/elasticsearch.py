"""Elasticsearch 9 search backend: BM25 + filtered kNN, versioned documents, aliased versions.

Layout in the cluster, for a logical index ``workers`` and prefix ``shetu``::

    shetu-workers        alias: the live version (reads and writes go through it)
    shetu-workers-v3     physical index behind the alias; ``shetu reindex`` builds -v4 beside it

Each document's ``_id`` is the record id and its ES version is the record version
(``version_type=external``), so an older version never overwrites a newer one. A delete writes
a *tombstone* document ``{"deleted": true}`` at the delete's version instead of removing the
document: ES forgets the versions of removed documents after ``index.gc_deletes`` (60 s), and a
create arriving later would be resurrected. Every query filters ``deleted: false``.

Text is analysed client-side with the analyser of :mod:`indexer.analysis` (the embedded
backend's) and indexed with the ``whitespace`` analyser. This keeps BM25 term statistics
identical across backends and works on every distribution — the integration-test one has no
``analysis-common`` module (no ``english`` analyser, no stemmer filters). Filters run in filter
context, so ``keyword_score`` is the BM25 of the text alone, as on the embedded backend.

Vectors go into a ``dense_vector`` (cosine, ``int8_hnsw``) and, in indices created now, not
into the stored ``_source`` (``index.mapping.exclude_source_vectors``; ``get`` asks ES to put
them back). Every hit's ``vector_score`` is the exact cosine: the kNN leg re-scores its int8
candidates with the float vectors inside ES (``rescore_vector``), and the hits only the keyword
leg found get theirs from a kNN restricted to their ids. No vector crosses the wire in a search
(see :meth:`ElasticsearchBackend.search`); fusion is the caller's (this distribution has no RRF
retriever).

Durability: ``upsert`` and ``delete`` return only after Elasticsearch acknowledged the request,
which it does once the operations are in the translog and that is fsync'ed (the default
``index.translog.durability: request``); the outbox marks an event processed only after that
return, so an acknowledged write survives a crash of the API, the Celery worker or Elasticsearch.
A bulk request that Elasticsearch refuses in part raises (nothing is marked processed), and the
indexer retries its documents one by one to isolate the one it refuses.

The client is created on first use (construction does no I/O). Connection errors, timeouts and
5xx/429 answers become :class:`SearchUnavailableError`, a missing index
:class:`UnknownIndexError`, another refusal :class:`InvalidQueryError` (a search) or
:class:`InvalidDocumentError` (a write): no client exception escapes. Every request is bounded
by ``timeout_s`` and at most ``max_retries`` retries on connection errors.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from elasticsearch import ApiError, ConflictError, Elasticsearch, NotFoundError, TransportError
from elasticsearch import helpers as es_helpers

from indexer import analysis, es_queries
from indexer.protocol import (
    Document,
    Filter,
    Hit,
    IndexSchema,
    InvalidDocumentError,
    InvalidQueryError,
    Rebuild,
    SearchError,
    SearchUnavailableError,
    UnknownIndexError,
)


class ElasticsearchBackend:
    """SearchBackend on Elasticsearch 9 (official client), one alias per logical index."""

    name = "elasticsearch"

    def __init__(self, url: str, *, prefix: str = "shetu", timeout_s: float = 5.0,
                 max_retries: int = 1, replicas: int = 0) -> None:
        self.url = url
        self.prefix = prefix.lower()
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.replicas = replicas
        self._client: Elasticsearch | None = None
        self._lock = threading.Lock()
        self._schemas: dict[str, IndexSchema] = {}

    # -- plumbing -------------------------------------------------------------------------------
    @property
    def client(self) -> Elasticsearch:
        """The official client, created on first use."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    try:
                        self._client = Elasticsearch(self.url, request_timeout=self.timeout_s,
                                                     max_retries=self.max_retries,
                                                     retry_on_timeout=False)
                    except ValueError as exc:  # a URL the client cannot parse
                        raise SearchUnavailableError(
                            f"cannot connect to Elasticsearch at {self.url!r}: {exc}") from exc
        return self._client

    @contextmanager
    def _guard(self, refused: Callable[[str], SearchError] = InvalidQueryError
               ) -> Iterator[None]:
        """Turn the client's exceptions into the protocol's declared errors.

        :param refused: the error for a request Elasticsearch refuses (4xx).
        """
        try:
            yield
        except es_helpers.ScanError as exc:  # a scroll lost shards or expired midway
            raise SearchUnavailableError(f"Elasticsearch at {self.url} could not finish a "
                                         f"scroll: {exc}") from exc
        except TransportError as exc:  # connection refused/reset, timeout
            raise SearchUnavailableError(
                f"Elasticsearch at {self.url} is unreachable or did not answer within "
                f"{self.timeout_s:g}s ({type(exc).__name__})") from exc
        except ApiError as exc:
            if exc.status_code in es_queries.UNAVAILABLE_STATUS or exc.status_code >= 500:
                raise SearchUnavailableError(
                    f"Elasticsearch at {self.url} answered {exc.status_code}: {exc.message}"
                ) from exc
            if isinstance(exc, NotFoundError) and "index_not_found" in str(exc):
                raise UnknownIndexError(f"no such index in Elasticsearch: {exc.message}") \
                    from exc
            raise refused(f"Elasticsearch refused the request ({exc.status_code}): "
                          f"{exc.message}") from exc

    def alias(self, index: str) -> str:
        """Return the alias that names the live version of a logical index."""
        return f"{self.prefix}-{index}".lower()

    def _physical_names(self, index: str) -> list[str]:
        base = self.alias(index)
        pattern = re.compile(rf"^{re.escape(base)}-v(\d+)$")
        found = self.client.indices.get(index=f"{base}-v*", expand_wildcards="open,closed")
        return sorted((n for n in found if pattern.match(n)),
                      key=lambda n: int(pattern.match(n).group(1)))  # type: ignore[union-attr]

    def _schema(self, index: str) -> IndexSchema:
        schema = self._schemas.get(index)
        if schema is None:  # another process created it: read the schema kept in _meta
            with self._guard():
                resp = self.client.indices.get_mapping(index=self.alias(index))
            schema = es_queries.schema_of(next(iter(resp.values()))["mappings"])
            self._schemas[index] = schema
        return schema

    def _create_physical(self, schema: IndexSchema, name: str, alias: str | None,
                         refresh_interval: str = "1s") -> None:
        body: dict[str, Any] = {
            "settings": {"number_of_shards": 1, "number_of_replicas": self.replicas,
                         "refresh_interval": refresh_interval,
                         # vectors stay out of the stored _source (ES synthesises them when a
                         # get asks): a search fetching fields + payload reads ~3 KB a hit,
                         # not the ~11 KB the 384 floats as JSON added
                         "index.mapping.exclude_source_vectors": True},
            "mappings": es_queries.mapping(schema)}
        if alias:
            body["aliases"] = {alias: {"is_write_index": True}}
        self.client.indices.create(index=name, **body)

    # -- SearchBackend ------------------------------------------------------------------------
    def ensure_index(self, schema: IndexSchema) -> None:
        """Create the logical index with a first physical version if the alias is missing."""
        self._schemas[schema.name] = schema
        alias = self.alias(schema.name)
        with self._guard():
            if self.client.indices.exists_alias(name=alias):
                return
            existing = self._physical_names(schema.name)
            n = int(existing[-1].rsplit("-v", 1)[1]) + 1 if existing else 1
            try:
                self._create_physical(schema, f"{alias}-v{n}", alias)
            except ApiError as exc:  # another process won the race
                if "resource_already_exists" not in str(exc):
                    raise
                if not self.client.indices.exists_alias(name=alias):
                    raise

    def _bulk(self, target: str, schema: IndexSchema, docs: Sequence[Document],
              refresh: bool) -> int:
        newest: dict[int, Document] = {}
        for d in docs:
            if d.id not in newest or d.version > newest[d.id].version:
                newest[d.id] = d
        if not newest:
            return 0
        # Every document is checked before the first is sent: a bad one writes nothing.
        actions = [{"_op_type": "index", "_index": target, "_id": str(d.id),
                    "version": d.version, "version_type": "external",
                    "_source": es_queries.source(schema, d)} for d in newest.values()]
        written, failed = 0, []
        with self._guard(InvalidDocumentError):
            for ok, item in es_helpers.streaming_bulk(self.client, actions, chunk_size=500,
                                                       raise_on_error=False, refresh=refresh):
                if ok:
                    written += 1
                elif item["index"].get("status") != 409:  # 409: a newer version is stored
                    failed.append(item["index"])
        if failed:
            if any(f.get("status") in es_queries.UNAVAILABLE_STATUS for f in failed):
                raise SearchUnavailableError(f"Elasticsearch refused {len(failed)} writes: "
                                             f"{failed[0].get('error')}")
            raise InvalidDocumentError(f"Elasticsearch refused {len(failed)} documents: "
                             f"{failed[0].get('error')}")
        return written

    def upsert(self, index: str, docs: Sequence[Document]) -> int:
        """Insert or replace documents unless a newer version or tombstone is stored."""
        # refresh=True: a write is searchable when the call returns (freshness guarantee).
        return self._bulk(self.alias(index), self._schema(index), docs, refresh=True)

    def delete(self, index: str, doc_id: int, version: int) -> bool:
        """Replace the document with a tombstone at ``version`` (older deletes are ignored)."""
        self._schema(index)  # an unknown index raises (a write would auto-create it)
        with self._guard(InvalidDocumentError):
            try:
                # external_gte: a delete at the stored version wins, as in the embedded backend.
                self.client.index(index=self.alias(index), id=str(doc_id),
                                  document={"deleted": True}, version=version,
                                  version_type="external_gte", refresh=True)
            except ConflictError:
                return False
        return True

    def get(self, index: str, doc_id: int) -> Document | None:
        """Return a live document by id, or None if absent or a tombstone."""
        with self._guard():
            try:
                r = self.client.get(index=self.alias(index), id=str(doc_id),
                                    source_exclude_vectors=False)
            except NotFoundError as exc:
                if "index_not_found" in str(exc):
                    raise
                return None
        src = r["_source"]
        if src.get("deleted"):
            return None
        vec = src.get("vec")
        return Document(id=doc_id, version=int(r["_version"]), text="",
                        vector=np.asarray(vec, dtype=np.float32) if vec is not None else None,
                        fields=dict(src.get("fields") or {}),
                        payload=dict(src.get("payload") or {}))

    def search(self, index: str, *, text: str | None, vector: np.ndarray | None,
               filters: Filter = (), k: int = 10) -> list[Hit]:
        """Hybrid retrieval under a filter: BM25 top-k ∪ exact-cosine kNN top-k.

        Two round trips, neither shipping vectors: (1) one ``_msearch`` with the BM25 leg and
        the filtered kNN leg, ids and scores only — the kNN leg re-scores its int8 HNSW
        candidates with the float vectors inside Elasticsearch (``rescore_vector``), so its
        scores are exact cosines; (2) one ``_msearch`` with the exact cosine of the BM25-only
        hits (a kNN restricted to their ids, which Elasticsearch answers by exact scoring) and
        the stored fields and payload of the union.
        """
        fq = es_queries.filter_clauses(self._schema(index), filters)
        if k <= 0:
            return []
        alias = self.alias(index)
        tokens = analysis.query_tokens(text) if text else []
        body: list[dict[str, Any]] = []
        if tokens:
            body += [{"index": alias}, es_queries.bm25(tokens, fq, k)]
        q = None
        if vector is not None:
            q = np.asarray(vector, dtype=np.float32)
            fetch = min(k, 10_000)
            body += [{"index": alias},
                     es_queries.knn(q, fq, fetch, candidates=min(max(2 * fetch, 100), 10_000),
                                    oversample=2.0)]
        if not body:
            return []
        responses = self._msearch(body)
        kw = es_queries.scores(responses[0]) if tokens else {}
        sims = es_queries.cosines(responses[-1]) if q is not None else {}
        ids = list(kw) + [i for i in sims if i not in kw]
        if not ids:
            return []
        # The filter again: a document deleted or changed between the two round trips drops
        # out instead of coming back as a tombstone or with a payload that no longer passes.
        body = [{"index": alias}, es_queries.stored(ids, fq)]
        only_kw = [i for i in kw if i not in sims] if q is not None else []
        if only_kw and q is not None:
            body += [{"index": alias},
                     es_queries.knn(q, [es_queries.ids_filter(only_kw)], len(only_kw),
                                    candidates=len(only_kw), oversample=1.0)]
        responses = self._msearch(body)
        sources = {int(h["_id"]): h.get("_source") or {} for h in responses[0]["hits"]["hits"]}
        if only_kw:
            sims.update(es_queries.cosines(responses[1]))
        return [Hit(id=i, keyword_score=kw.get(i, 0.0), vector_score=sims.get(i, 0.0),
                    fields=dict(sources[i].get("fields") or {}),
                    payload=dict(sources[i].get("payload") or {}))
                for i in ids if i in sources]

    def _msearch(self, body: list[dict[str, Any]]) -> list[dict[str, Any]]:
        with self._guard():
            responses = self.client.msearch(searches=body)["responses"]
        es_queries.raise_for_errors(responses)
        return responses

    def count(self, index: str, filters: Filter = ()) -> int:
        """Return how many live documents match the filter."""
        fq = es_queries.filter_clauses(self._schema(index), filters)
        with self._guard():
            return int(self.client.count(index=self.alias(index),
                                         query={"bool": {"filter": fq}})["count"])

    def versions(self, index: str) -> dict[int, int]:
        """Return ``{id: version}`` of every live document (scroll over the alias)."""
        with self._guard():
            return {int(h["_id"]): int(h["_version"]) for h in es_helpers.scan(
                self.client, index=self.alias(index), size=5000, scroll="2m",
                query={"query": {"bool": {"filter": [es_queries.LIVE]}}, "_source": False,
                       "version": True})}

    def rebuild(self, index: str) -> ElasticsearchRebuild:
        """Create the next physical version beside the live one (not yet behind the alias)."""
        schema = self._schema(index)
        with self._guard():
            existing = self._physical_names(index)
            n = int(existing[-1].rsplit("-v", 1)[1]) + 1 if existing else 1
            name = f"{self.alias(index)}-v{n}"
            # No refreshes while bulk-loading; the commit restores them.
            self._create_physical(schema, name, None, refresh_interval="-1")
        return ElasticsearchRebuild(self, index, name, schema)

    def _swap(self, index: str, physical: str) -> None:
        """Swap the alias to ``physical`` in one atomic action, then drop older versions."""
        alias = self.alias(index)
        with self._guard():
            self.client.indices.put_settings(index=physical,
                                             settings={"index": {"refresh_interval": "1s"}})
            self.client.indices.refresh(index=physical)
            live = list(self.client.indices.get_alias(name=alias)) \
                if self.client.indices.exists_alias(name=alias) else []
            actions: list[dict[str, Any]] = [{"remove": {"index": old, "alias": alias}}
                                             for old in live if old != physical]
            actions.append({"add": {"index": physical, "alias": alias, "is_write_index": True}})
            self.client.indices.update_aliases(actions=actions)
            new_n = int(physical.rsplit("-v", 1)[1])
            stale = [n for n in self._physical_names(index)
                     if n != physical and int(n.rsplit("-v", 1)[1]) < new_n]
            if stale:
                self.client.indices.delete(index=",".join(stale))

    def _drop_physical(self, physical: str) -> None:
        with self._guard():
            self.client.indices.delete(index=physical, ignore_unavailable=True)

    def drop_index(self, index: str) -> None:
        """Delete every physical version of the logical index (and so its alias).

        Dropping an index that does not exist (or that another process drops meanwhile) is not
        an error. :raises SearchUnavailableError: the engine cannot be reached.
        """
        with self._guard():
            names = self._physical_names(index)
            if names:
                self.client.indices.delete(index=",".join(names), ignore_unavailable=True)
        self._schemas.pop(index, None)

    def close(self) -> None:
        """Close the HTTP connections (a later call opens new ones); makes no request.

        :raises SearchUnavailableError: a connection could not be closed cleanly (the client is
            let go of all the same).
        """
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            with self._guard():
                try:
                    client.close()
                except OSError as exc:
                    raise SearchUnavailableError(
                        f"closing the connections to {self.url} failed: {exc}") from exc


class ElasticsearchRebuild(Rebuild):
    """A new physical ES index filled beside the live one (see :class:`Rebuild`)."""

    def __init__(self, backend: ElasticsearchBackend, index: str, physical: str,
                 schema: IndexSchema) -> None:
        super().__init__(index)
        self._backend = backend
        self.physical = physical
        self._schema = schema

    def upsert(self, docs: Sequence[Document]) -> int:
        """Write documents into the physical index being built (no refresh)."""
        return self._backend._bulk(self.physical, self._schema, docs, refresh=False)

    def _commit(self) -> None:
        self._backend._swap(self.index, self.physical)

    def _abort(self) -> None:
        self._backend._drop_physical(self.physical)
