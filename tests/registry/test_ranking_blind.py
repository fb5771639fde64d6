"""Gender, religion and district never enter the ranking: changing them for every worker leaves
each job order's ranked candidates and their scores identical (issue 14, fairness)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from support import seed_registry

from indexer.documents import worker_document
from indexer.ranking import rank_workers_for_job
from registry.compliance import job_is_matchable
from registry.db import session_scope
from registry.models import JobOrder, OutboxEvent, Worker


def test_protected_attributes_do_not_change_scores(settings, taxonomy):
    seeded = seed_registry(settings, taxonomy, workers=120, job_orders=20, agencies=4, seed=11)
    ix = seeded["indexer"]
    today = dt.date.today()
    with session_scope(settings.database_url) as s:
        jobs = [j for j in s.scalars(select(JobOrder).order_by(JobOrder.id))
                if job_is_matchable(j, today) and not j.gender_rule and not j.domestic_work][:4]
        assert jobs
        before = {j.id: [(m.id, m.score, m.parts)
                         for m in rank_workers_for_job(ix, j, limit=50).items] for j in jobs}
        assert any(before.values())
        for w in s.scalars(select(Worker)):
            w.gender = "male" if w.gender == "female" else "female"
            w.religion = "Hinduism" if w.religion == "Islam" else "Islam"
            w.district = "Sylhet" if w.district != "Sylhet" else "Rangpur"
            w.version += 1
            s.flush()
            s.add(OutboxEvent(entity="worker", entity_id=w.id, version=w.version, op="upsert"))
    ix.drain_outbox()
    with session_scope(settings.database_url) as s:
        jobs = [s.get(JobOrder, i) for i in before]
        after = {j.id: [(m.id, m.score, m.parts)
                        for m in rank_workers_for_job(ix, j, limit=50).items] for j in jobs}
        w = s.scalars(select(Worker).limit(1)).one()
        doc = worker_document(w, taxonomy, None)
        assert "religion" not in doc.fields and "district" not in doc.fields
    assert after == before
    ix.backend.close()
