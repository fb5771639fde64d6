"""Expiry (beat and the in-process scheduler): verified job orders past their deadline become
expired, with a transition row by ``system``, versioned and re-indexed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from support import seed_registry

from registry.db import session_scope
from registry.demand import expire_due as expire_job_orders
from registry.demand import history
from registry.models import JobOrder, OutboxEvent


def test_expiry_expires_only_verified_orders_past_their_deadline(settings, taxonomy):
    seeded = seed_registry(settings, taxonomy, workers=20, job_orders=30, agencies=4)
    today = dt.date.today() + dt.timedelta(days=120)  # some deadlines have passed by then
    with session_scope(settings.database_url) as s:
        before = {j.id: (j.status, j.deadline, j.version) for j in s.scalars(select(JobOrder))}
        closed = expire_job_orders(s, today)
    due = {i for i, (st, dl, _) in before.items() if st == "verified" and dl < today}
    assert set(closed) == due and due
    with session_scope(settings.database_url) as s:
        for j in s.scalars(select(JobOrder)):
            if j.id in due:
                assert j.status == "expired" and j.version == before[j.id][2] + 1
                step = history(s, j.id)[-1]
                assert (step.from_status, step.to_status, step.username) == (
                    "verified", "expired", "system")
                assert step.at.date() == today
            else:
                assert (j.status, j.version) == (before[j.id][0], before[j.id][2])
        events = s.scalars(select(OutboxEvent).where(OutboxEvent.processed_at.is_(None))).all()
        assert {(e.entity_id, e.version) for e in events} == \
            {(i, before[i][2] + 1) for i in due}
        assert expire_job_orders(s, today) == []  # idempotent
    ix = seeded["indexer"]
    ix.drain_outbox()
    assert ix.verify()["jobs"].clean
    for i in due:
        assert ix.backend.get("jobs", i).fields["status"] == "expired"
    ix.backend.close()
