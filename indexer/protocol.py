"""The one search protocol both backends implement (embedded tantivy+numpy, Elasticsearch).

Filter language (documented once, here). A filter is a list of clauses, all of which must hold
(logical AND). A clause is a dict ``{"field": name, "op": op, "value": v}`` where ``field`` is
declared in the index's :class:`IndexSchema` and ``op`` is one of:

- ``eq``  — the field equals ``value`` (keyword, int, bool, date);
- ``in``  — the field equals one of the values in the list ``value``;
- ``gte`` / ``lte`` — the field is ≥ / ≤ ``value`` (int, float, date as ISO ``YYYY-MM-DD``);
- ``all`` — a multi-valued keyword field contains every value in the list ``value``
  (an empty list matches every document).

A document whose field is missing matches no clause on that field. Filters select, they never
score: a hit's ``keyword_score`` is the BM25 of the query text alone (the same number whatever
filter selected the document), on every backend. Documents carry the version
of the record they were built from: an upsert with an older version than the stored one (or than
a tombstone) is ignored, and a delete leaves a tombstone so that a late create is not resurrected.

Errors: a backend raises only the :class:`SearchError` subclasses below — never the search
engine's or its client's own exceptions, nor a bare ``KeyError``/``ValueError``.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

_log = logging.getLogger(__name__)

FieldType = Literal["keyword", "keywords", "int", "float", "bool", "date"]
Filter = Sequence[Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class IndexSchema:
    """What an index holds: filterable fields with their types and the vector dimension."""

    name: str
    fields: Mapping[str, FieldType]
    dim: int


@dataclass(slots=True)
class Document:
    """One search document: id, record version, text for BM25, vector, fields, payload."""

    id: int
    version: int
    text: str
    vector: np.ndarray | None
    fields: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Hit:
    """One search result; a score is 0.0 where that retrieval leg did not find the document."""

    id: int
    keyword_score: float
    vector_score: float
    fields: dict[str, Any]
    payload: dict[str, Any]


class SearchError(Exception):
    """Base of every error a search backend raises."""


class SearchUnavailableError(SearchError, RuntimeError):
    """The search service cannot be reached or did not answer within the timeout (transient)."""


class UnknownIndexError(SearchError, LookupError):
    """The logical index does not exist (never ensured, or dropped)."""


class InvalidQueryError(SearchError, ValueError):
    """The search engine refuses a query as malformed."""


class InvalidFilterError(InvalidQueryError):
    """A filter clause names an unknown field or operator, or has a value of the wrong type."""


class InvalidDocumentError(SearchError, ValueError):
    """A document the index cannot hold (a field value of the wrong type, a vector of the
    wrong dimension, a payload that cannot be stored); nothing of its batch was written."""


class Rebuild(ABC):
    """A new physical version of a logical index, filled beside the live one.

    Use it as a context manager: ``with backend.rebuild(index) as r: r.upsert(docs)`` makes the
    new version live when the block ends normally (:meth:`commit`) and drops it, leaving the
    live version untouched, when the block raises (:meth:`abort`). Searches keep answering from
    the live version until the commit.
    """

    def __init__(self, index: str) -> None:
        self.index = index
        self.finished = False

    @abstractmethod
    def upsert(self, docs: Sequence[Document]) -> int:
        """Write documents into the version being built; return how many were written.

        :raises InvalidDocumentError: a document the index cannot hold.
        :raises SearchUnavailableError: the engine cannot be reached.
        """

    @abstractmethod
    def _commit(self) -> None: ...

    @abstractmethod
    def _abort(self) -> None: ...

    def commit(self) -> None:
        """Atomically make the new version live and drop the old one.

        :raises InvalidQueryError: the rebuild was already committed or aborted.
        """
        if self.finished:
            raise InvalidQueryError(f"the rebuild of {self.index!r} is already finished")
        self._commit()
        self.finished = True

    def abort(self) -> None:
        """Drop the half-built version; the live one stays as it was (no-op once finished)."""
        if not self.finished:
            self.finished = True
            self._abort()

    def __enter__(self) -> Rebuild:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.commit()
            return
        try:
            self.abort()
        except SearchError as failed:
            # The block's own exception is what the caller must see, not this one. What was
            # half built stays behind, never live (Elasticsearch: the next rebuild removes it).
            _log.warning("could not drop the half-built version of %r: %s", self.index, failed)


@runtime_checkable
class SearchBackend(Protocol):
    """A search engine holding versioned documents for named logical indexes."""

    name: str

    def ensure_index(self, schema: IndexSchema) -> None:
        """Create the logical index (and its first physical version) if it does not exist.

        :param schema: fields and vector dimension of the index.
        :raises SearchUnavailableError: the engine cannot be reached.
        """
        ...

    def upsert(self, index: str, docs: Sequence[Document]) -> int:
        """Insert or replace documents unless a newer version (or tombstone) is stored.

        :param index: logical index name.
        :param docs: documents; each has the record's version.
        :returns: how many documents were written (older versions are skipped).
        :raises InvalidDocumentError: a document the index cannot hold; nothing was written.
        :raises UnknownIndexError: the index does not exist.
        :raises SearchUnavailableError: the engine cannot be reached.
        """
        ...

    def delete(self, index: str, doc_id: int, version: int) -> bool:
        """Delete a document, leaving a tombstone at ``version``.

        :param index: logical index name.
        :param doc_id: the record id.
        :param version: the record version of the delete; older deletes are ignored.
        :returns: True if the tombstone was written.
        :raises UnknownIndexError: the index does not exist.
        :raises SearchUnavailableError: the engine cannot be reached.
        """
        ...

    def get(self, index: str, doc_id: int) -> Document | None:
        """Return a live document by id, or None if absent or deleted.

        :param index: logical index name.
        :param doc_id: the record id.
        :raises UnknownIndexError: the index does not exist.
        """
        ...

    def search(self, index: str, *, text: str | None, vector: np.ndarray | None,
               filters: Filter = (), k: int = 10) -> list[Hit]:
        """Hybrid retrieval under a filter: the union of BM25 top-k and vector top-k.

        Each hit carries both scores: ``keyword_score`` (BM25 of ``text`` alone — the filter
        selects, it adds nothing —, 0 if not in the keyword top-k)
        and ``vector_score`` (cosine of the query vector and the document's, computed for
        every returned hit when a vector is given). Fusion and ranking are the caller's.

        :param index: logical index name.
        :param text: keyword query (None: vector leg only).
        :param vector: unit query vector (None: keyword leg only).
        :param filters: AND-ed clauses in the filter language above.
        :param k: how many hits each leg returns at most.
        :returns: hits in no particular order.
        :raises InvalidFilterError: a clause is malformed.
        :raises UnknownIndexError: the index does not exist.
        :raises SearchUnavailableError: the engine cannot be reached.
        """
        ...

    def count(self, index: str, filters: Filter = ()) -> int:
        """Return how many live documents match the filter.

        :param index: logical index name.
        :param filters: AND-ed clauses; empty counts every live document.
        :raises InvalidFilterError: a clause is malformed.
        :raises UnknownIndexError: the index does not exist.
        """
        ...

    def versions(self, index: str) -> dict[int, int]:
        """Return ``{id: version}`` of every live document (for verify/repair).

        :raises UnknownIndexError: the index does not exist.
        """
        ...

    def rebuild(self, index: str) -> Rebuild:
        """Start a new physical version of the index beside the live one.

        :param index: logical index name (ensured before).
        :returns: the :class:`Rebuild` handle; commit it (or leave its ``with`` block) to swap.
        :raises UnknownIndexError: the index does not exist.
        :raises SearchUnavailableError: the engine cannot be reached.
        """
        ...

    def drop_index(self, index: str) -> None:
        """Delete the logical index and every physical version of it (none: a no-op).

        :raises SearchUnavailableError: the engine cannot be reached.
        """
        ...

    def close(self) -> None:
        """Flush and release resources.

        :raises SearchUnavailableError: what was pending could not be flushed or released.
        """
        ...
