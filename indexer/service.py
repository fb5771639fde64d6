"""Keep the search indexes in step with the registry: outbox drain, reindex, verify, repair."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from indexer.documents import (
    JOBS,
    WORKERS,
    job_document,
    job_schema,
    worker_document,
    worker_schema,
)
from indexer.factory import make_backend
from indexer.protocol import Document, SearchBackend
from matcher.encoder import TextEncoder, get_encoder
from matcher.profile import MAX_INFERRED, inferred_experience
from matcher.taxonomy import Taxonomy, load_taxonomy
from registry.config import Settings
from registry.db import get_sessionmaker
from registry.models import JobOrder, OutboxEvent, Worker

log = logging.getLogger(__name__)
Progress = Callable[[int], None]


@dataclass
class Drift:
    """Differences between the registry and one index."""

    missing: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    orphans: list[int] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """True when the index matches the registry exactly."""
        return not (self.missing or self.stale or self.orphans)


class Indexer:
    """Builds documents from records and writes them to the configured backend."""

    def __init__(self, settings: Settings, backend: SearchBackend | None = None,
                 encoder: TextEncoder | None = None, taxonomy: Taxonomy | None = None) -> None:
        self.settings = settings
        self.backend = backend or make_backend(settings)
        self._encoder = encoder
        self._taxonomy = taxonomy
        self.sessions = get_sessionmaker(settings.database_url)
        self._ready = False

    @property
    def encoder(self) -> TextEncoder:
        """The text encoder (loaded on first use)."""
        if self._encoder is None:
            self._encoder = get_encoder(self.settings.model)
        return self._encoder

    @property
    def taxonomy(self) -> Taxonomy:
        """The ESCO taxonomy (loaded on first use)."""
        if self._taxonomy is None:
            self._taxonomy = load_taxonomy(self.settings.esco_dir, self.settings.cache_dir)
        return self._taxonomy

    def ensure_indexes(self) -> None:
        """Create both indexes if missing."""
        if not self._ready:
            self.backend.ensure_index(worker_schema(self.encoder.dim))
            self.backend.ensure_index(job_schema(self.encoder.dim))
            self._ready = True

    # -- documents ----------------------------------------------------------------------------
    def worker_docs(self, workers: Sequence[Worker]) -> list[Document]:
        """Build worker documents with embeddings (encoded in one batch)."""
        docs = [worker_document(w, self.taxonomy, None) for w in workers]
        vecs = self.encoder.encode([d.text for d in docs],
                                   batch_size=self.settings.encoder_batch_size)
        for d, v in zip(docs, vecs, strict=True):
            d.vector = v
        self._infer_experience(workers, docs)
        return docs

    def _infer_experience(self, workers: Sequence[Worker], docs: list[Document]) -> None:
        """Give text-only profiles the occupations their own words point to (with confidence)."""
        todo = [(w, d) for w, d in zip(workers, docs, strict=True)
                if not d.payload["experience"] and (w.self_description or "").strip()]
        if not todo:
            return
        from matcher.normalise import get_occupation_ranker

        ranked = get_occupation_ranker(self.settings).rank_many(
            [w.self_description for w, _ in todo], top_k=MAX_INFERRED)
        isco = {uri: o.isco_group for uri, o in self.taxonomy.occupations.items()}
        for (w, d), results in zip(todo, ranked, strict=True):
            d.payload["experience"] = inferred_experience(w.self_description, results, isco)

    def job_docs(self, jobs: Sequence[JobOrder], today: dt.date | None = None) -> list[Document]:
        """Build job order documents with embeddings."""
        today = today or dt.date.today()
        docs = [job_document(j, self.taxonomy, None, today) for j in jobs]
        vecs = self.encoder.encode([d.text for d in docs],
                                   batch_size=self.settings.encoder_batch_size)
        for d, v in zip(docs, vecs, strict=True):
            d.vector = v
        return docs

    # -- outbox -------------------------------------------------------------------------------
    def drain_outbox(self, limit: int = 500, max_batches: int | None = None) -> int:
        """Apply pending outbox events to the index; return how many were processed.

        Idempotent: documents carry versions, so replaying an event is harmless. Events are
        marked processed only after the backend accepted the write.
        """
        self.ensure_indexes()
        total, batches = 0, 0
        while max_batches is None or batches < max_batches:
            batches += 1
            with self.sessions() as s:
                # SKIP LOCKED (PostgreSQL): concurrent drainers take disjoint batches; the lock is
                # held until this transaction marks the batch processed. SQLite ignores it.
                events = list(s.scalars(select(OutboxEvent)
                                        .where(OutboxEvent.processed_at.is_(None))
                                        .order_by(OutboxEvent.id).limit(limit)
                                        .with_for_update(skip_locked=True)))
                if not events:
                    return total
                self._apply(s, events)
                now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
                s.execute(update(OutboxEvent).where(OutboxEvent.id.in_([e.id for e in events]))
                          .values(processed_at=now))
                s.commit()
                total += len(events)
                if len(events) < limit:
                    return total
        return total

    def _apply(self, s: Session, events: Iterable[OutboxEvent]) -> None:
        by_entity: dict[str, dict[int, OutboxEvent]] = {"worker": {}, "job_order": {}, "agency": {}}
        for e in events:
            cur = by_entity[e.entity].get(e.entity_id)
            if cur is None or e.version >= cur.version:
                by_entity[e.entity][e.entity_id] = e
        for entity, index, model in (("worker", WORKERS, Worker), ("job_order", JOBS, JobOrder)):
            evs = by_entity[entity]
            for e in evs.values():
                if e.op == "delete":
                    self.backend.delete(index, e.entity_id, e.version)
            ups = [e.entity_id for e in evs.values() if e.op == "upsert"]
            if ups:
                rows = list(s.scalars(select(model).where(model.id.in_(ups))))
                build = self.worker_docs if model is Worker else self.job_docs
                docs = build(rows)
                if docs:
                    self.backend.upsert(index, docs)

    # -- full rebuild, verify, repair -----------------------------------------------------------
    def reindex(self, progress: Progress | None = None, batch: int = 256) -> dict[str, int]:
        """Build new index versions from the registry beside the live ones and swap them in."""
        self.ensure_indexes()
        counts = {}
        for index, model in ((WORKERS, Worker), (JOBS, JobOrder)):
            physical = self.backend.begin_rebuild(index)
            n = 0
            with self.sessions() as s:
                ids = list(s.scalars(select(model.id).order_by(model.id)))
                for start in range(0, len(ids), batch):
                    chunk = ids[start:start + batch]
                    rows = list(s.scalars(select(model).where(model.id.in_(chunk))))
                    build = self.worker_docs if model is Worker else self.job_docs
                    n += self.backend.upsert_into(physical, build(rows))
                    if progress:
                        progress(len(rows))
                    s.expunge_all()
            self.backend.commit_rebuild(index, physical)
            counts[index] = n
        # Writes that landed in the old version during the rebuild are caught up here.
        self.repair()
        return counts

    def verify(self) -> dict[str, Drift]:
        """Compare registry ids/versions with each index."""
        self.ensure_indexes()
        out = {}
        with self.sessions() as s:
            for index, model in ((WORKERS, Worker), (JOBS, JobOrder)):
                reg = dict(s.execute(select(model.id, model.version)).all())
                idx = self.backend.versions(index)
                d = Drift()
                d.missing = sorted(set(reg) - set(idx))
                d.stale = sorted(i for i in set(reg) & set(idx) if idx[i] != reg[i])
                d.orphans = sorted(set(idx) - set(reg))
                out[index] = d
        return out

    def repair(self) -> dict[str, Drift]:
        """Fix every difference found by :meth:`verify`; return what was fixed."""
        drift = self.verify()
        idx_versions = {index: self.backend.versions(index) for index in (WORKERS, JOBS)}
        with self.sessions() as s:
            for index, model in ((WORKERS, Worker), (JOBS, JobOrder)):
                d = drift[index]
                todo = d.missing + d.stale
                for start in range(0, len(todo), 256):
                    chunk = todo[start:start + 256]
                    rows = list(s.scalars(select(model).where(model.id.in_(chunk))))
                    build = self.worker_docs if model is Worker else self.job_docs
                    self.backend.upsert(index, build(rows))
                for doc_id in d.orphans:
                    # The record is gone but its tombstone never arrived: delete past the
                    # indexed version (ids are never reused: AUTOINCREMENT / sequences).
                    self.backend.delete(index, doc_id, idx_versions[index][doc_id] + 1)
        return drift
