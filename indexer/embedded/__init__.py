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
reuse the search's masks (:mod:`.masks`). The keyword leg (:mod:`.keyword`) is the BM25 of the
text alone among the documents passing the mask — filters select, they score nothing.

The vector leg (:mod:`.vectors`) scans exactly below ``ann.MIN_TRAIN`` rows; above, an IVF
index (``indexer.ann``) picks the rows nearest the query among those passing the filter mask,
and scores them exactly.

Durability: a write is durable when ``upsert``/``delete`` returns. Each batch is first checked
and converted completely (a document the index cannot hold raises :class:`InvalidDocumentError`
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

Modules: :mod:`.store` (snapshot and journal files), :mod:`.masks` (filter columns),
:mod:`.keyword` (tantivy), :mod:`.vectors` (vectors and IVF), :mod:`.contents` (one version in
memory: rows, changes, search), :mod:`.physical` (that version kept durable: load, replay,
journal, snapshots, writer lock), :mod:`.backend` (:class:`EmbeddedBackend`, rebuilds). Benchmark
and reference variants are constructor arguments of :class:`EmbeddedBackend`.
"""

from __future__ import annotations

from indexer.embedded.backend import EmbeddedBackend, EmbeddedRebuild, EmbeddedStats

__all__ = ["EmbeddedBackend", "EmbeddedRebuild", "EmbeddedStats"]
