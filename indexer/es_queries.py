"""The Elasticsearch wire format: mapping, document sources, filters, search bodies, answers.

Pure functions between the protocol's types and Elasticsearch JSON (no client, no I/O), so the
wire format can be read and tested apart from the requests in :mod:`indexer.elasticsearch`.
Dates are sent as ISO days, filter fields live under ``f.<name>``, the stored ``fields`` and
``payload`` are not indexed, ``text`` holds the tokens of :mod:`indexer.analysis`, and every
query carries :data:`LIVE` (tombstones are documents with ``deleted: true``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from indexer import analysis
from indexer.filters import coerce, validate
from indexer.protocol import (
    Document,
    Filter,
    IndexSchema,
    InvalidDocumentError,
    InvalidFilterError,
    InvalidQueryError,
    SearchUnavailableError,
    UnknownIndexError,
)

LIVE: dict[str, Any] = {"term": {"deleted": False}}
UNAVAILABLE_STATUS = {429, 502, 503, 504}  # with every 5xx: transient, the engine is unavailable
_EPOCH = dt.date(1970, 1, 1)
_ES_TYPES = {"keyword": {"type": "keyword"}, "keywords": {"type": "keyword"},
             "int": {"type": "long"}, "float": {"type": "double"}, "bool": {"type": "boolean"},
             "date": {"type": "date", "format": "strict_date"}}


def mapping(schema: IndexSchema) -> dict[str, Any]:
    """Return the mapping of a physical index; ``_meta`` keeps the schema for other processes."""
    return {
        "dynamic": False,
        "_meta": {"shetu_schema": {"name": schema.name, "fields": dict(schema.fields),
                                   "dim": schema.dim}},
        "properties": {
            "text": dict(analysis.ES_TEXT_MAPPING),  # tokens of indexer.analysis
            "deleted": {"type": "boolean"},
            "vec": {"type": "dense_vector", "dims": schema.dim, "similarity": "cosine",
                    "index_options": {"type": "int8_hnsw"}},
            "f": {"type": "object", "dynamic": False,
                  "properties": {k: _ES_TYPES[t] for k, t in schema.fields.items()}},
            "fields": {"type": "object", "enabled": False},
            "payload": {"type": "object", "enabled": False},
        },
    }


def schema_of(mappings: dict[str, Any]) -> IndexSchema:
    """Return the schema kept in a physical index's mapping (see :func:`mapping`)."""
    meta = mappings["_meta"]["shetu_schema"]
    return IndexSchema(meta["name"], meta["fields"], int(meta["dim"]))


def _filter_value(ftype: str, value: Any) -> Any:
    if ftype == "date":
        return (_EPOCH + dt.timedelta(days=value)).isoformat()
    if ftype == "bool":
        return bool(value)
    return value


def _typed_fields(schema: IndexSchema, fields: dict[str, Any]) -> dict[str, Any]:
    """Return the filterable copy of a document's fields, normalised like the filter values."""
    out: dict[str, Any] = {}
    for name, ftype in schema.fields.items():
        value = fields.get(name)
        if value is None:
            continue
        if ftype == "keywords":
            if isinstance(value, list | tuple):
                out[name] = [str(v) for v in value]
        elif ftype == "keyword":
            out[name] = str(value)
        else:
            try:
                out[name] = _filter_value(ftype, coerce(ftype, value))
            except InvalidFilterError as exc:
                raise InvalidFilterError(f"field {name!r}: {exc}") from exc
    return out


def _unit(vector: Any) -> list[float] | None:
    if vector is None:
        return None
    v = np.asarray(vector, dtype=np.float32).reshape(-1)
    return v.tolist() if float(np.linalg.norm(v)) > 0 else None  # cosine refuses zero vectors


def source(schema: IndexSchema, d: Document) -> dict[str, Any]:
    """Return the ``_source`` of a document.

    :raises InvalidDocumentError: a field, the text or the vector the index cannot hold.
    """
    try:
        typed = _typed_fields(schema, d.fields)
    except InvalidFilterError as exc:
        raise InvalidDocumentError(f"document {d.id}: {exc}") from exc
    if not isinstance(d.text, str | None):
        raise InvalidDocumentError(f"document {d.id}: text is not a string")
    src: dict[str, Any] = {"deleted": False, "text": analysis.es_text(d.text),
                           "f": typed, "fields": dict(d.fields), "payload": dict(d.payload)}
    try:
        vec = _unit(d.vector)
    except (ValueError, TypeError) as exc:
        raise InvalidDocumentError(f"document {d.id}: not a vector ({exc})") from exc
    if vec is not None:
        if len(vec) != schema.dim:
            raise InvalidDocumentError(f"document {d.id}: a vector of {len(vec)} "
                                       f"dimensions in an index of {schema.dim}")
        src["vec"] = vec
    return src


def filter_clauses(schema: IndexSchema, filters: Filter) -> list[dict[str, Any]]:
    """Return the filter-context clauses of a filter (live documents only).

    :raises InvalidFilterError: a clause is malformed or names an undeclared field.
    """
    out: list[dict[str, Any]] = [LIVE]
    for name, op, value in validate(filters, schema.fields):
        ftype = schema.fields[name]
        field = f"f.{name}"
        if op == "eq":
            out.append({"term": {field: _filter_value(ftype, value)}})
        elif op == "in":
            vals = [_filter_value(ftype, v) for v in value]
            out.append({"terms": {field: vals}} if vals else {"match_none": {}})
        elif op == "all":
            out.extend({"term": {field: v}} for v in value)
        else:
            out.append({"range": {field: {op: _filter_value(ftype, value)}}})
    return out


def bm25(tokens: list[str], fq: list[dict[str, Any]], k: int) -> dict[str, Any]:
    """Return the BM25 leg: ids and scores of the text alone among documents passing ``fq``."""
    return {"size": k, "track_total_hits": False, "_source": False,
            "query": {"bool": {"must": [{"match": {"text": " ".join(tokens)}}], "filter": fq}}}


def knn(q: np.ndarray, fq: list[dict[str, Any]], k: int, *, candidates: int,
        oversample: float) -> dict[str, Any]:
    """Return a kNN search re-scored with the float vectors (its scores are (1 + cos) / 2)."""
    return {"size": k, "track_total_hits": False, "_source": False,
            "knn": {"field": "vec", "query_vector": q.tolist(), "k": k,
                    "num_candidates": candidates, "filter": fq,
                    "rescore_vector": {"oversample": oversample}}}


def ids_filter(ids: list[int]) -> dict[str, Any]:
    """Return a clause matching exactly these document ids."""
    return {"ids": {"values": [str(i) for i in ids]}}


def stored(ids: list[int], fq: list[dict[str, Any]]) -> dict[str, Any]:
    """Return a search for the stored fields and payload of ``ids`` still passing ``fq``."""
    return {"size": len(ids), "track_total_hits": False, "_source": ["fields", "payload"],
            "query": {"bool": {"filter": [ids_filter(ids), *fq]}}}


def scores(response: dict[str, Any]) -> dict[int, float]:
    """Return ``{id: score}`` of a search answer's hits, in its order."""
    return {int(h["_id"]): float(h["_score"]) for h in response["hits"]["hits"]}


def cosines(response: dict[str, Any]) -> dict[int, float]:
    """Return ``{id: cosine}`` of a kNN answer's hits (its scores are (1 + cos) / 2)."""
    return {i: 2.0 * s - 1.0 for i, s in scores(response).items()}


def raise_for_errors(responses: list[dict[str, Any]]) -> None:
    """Raise the declared error for the first failed search of an ``_msearch`` answer."""
    for r in responses:
        if "error" in r:
            status = int(r.get("status", 500))
            if status in UNAVAILABLE_STATUS or status >= 500:
                raise SearchUnavailableError(f"Elasticsearch search failed: {r['error']}")
            if status == 404:
                raise UnknownIndexError(f"no such index in Elasticsearch: {r['error']}")
            raise InvalidQueryError(f"Elasticsearch refused the search: {r['error']}")
