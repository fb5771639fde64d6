"""Recorded outcomes as training pairs: officers' decisions on workers for job orders."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from matcher.taxonomy import Taxonomy
from registry.vocab import OutcomeStatus
from training.examples import Example

# An officer's decision for (shortlisted … deployed) or against (rejected) a worker; ``applied``
# is not a decision. Typed against registry.vocab's outcome vocabulary.
POSITIVE_STATUSES: tuple[OutcomeStatus, ...] = ("shortlisted", "selected", "deployed")
NEGATIVE_STATUSES: tuple[OutcomeStatus, ...] = ("rejected",)
OUTCOME_STATUSES: tuple[OutcomeStatus, ...] = (*POSITIVE_STATUSES, *NEGATIVE_STATUSES)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One recorded decision: a worker's status for a job order."""

    job_order_id: int
    worker_id: int
    status: str

    @property
    def positive(self) -> bool:
        """True for shortlisted, selected or deployed."""
        return self.status in POSITIVE_STATUSES


def load_outcomes(database_url: str) -> list[Outcome]:
    """Return every decided outcome (not ``applied``) recorded in the registry."""
    from sqlalchemy import select

    from registry.db import session_scope
    from registry.models import Application

    with session_scope(database_url) as s:
        rows = s.execute(select(Application.job_order_id, Application.worker_id,
                                Application.status)
                         .where(Application.status.in_(OUTCOME_STATUSES))
                         .order_by(Application.job_order_id, Application.worker_id)).all()
    return [Outcome(int(j), int(w), str(st)) for j, w, st in rows]


def outcome_pairs(database_url: str, tax: Taxonomy, rng: random.Random) -> Iterator[Example]:
    """Yield job text → positively decided worker text, negative: a worker rejected for it."""
    from sqlalchemy import select

    from matcher.inputs import job_text, worker_text
    from registry.db import session_scope
    from registry.models import JobOrder, Worker

    outcomes = load_outcomes(database_url)
    by_job: dict[int, list[Outcome]] = {}
    for o in outcomes:
        by_job.setdefault(o.job_order_id, []).append(o)
    with session_scope(database_url) as s:
        for job_id, outs in sorted(by_job.items()):
            pos = [o for o in outs if o.positive]
            neg = [o for o in outs if not o.positive]
            if not pos or not neg:
                continue
            job = s.get(JobOrder, job_id)
            ids = [o.worker_id for o in outs]
            workers = {w.id: w for w in s.scalars(select(Worker).where(Worker.id.in_(ids)))}
            if job is None:
                continue
            jt = job_text(job, tax)
            for p in pos:
                n = rng.choice(neg)
                if p.worker_id in workers and n.worker_id in workers:
                    yield Example(jt, worker_text(workers[p.worker_id], tax),
                                  worker_text(workers[n.worker_id], tax),
                                  f"worker:{p.worker_id}", "outcome")
