"""Search flows: eligibility pre-filter → hybrid retrieval → feature scoring → explanations.

The same ``matcher`` code scores workers-for-a-job and jobs-for-a-worker.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.documents import JOBS, WORKERS
from indexer.protocol import Hit
from indexer.service import Indexer
from matcher import eligibility
from matcher.eligibility import Clause
from matcher.inputs import (
    job_facts,
    job_isco,
    job_text,
    payload_experience,
    required_skills,
    score_indexed_workers,
    worker_facts,
    worker_text,
)
from matcher.models import active_weights
from matcher.scoring import ScoredMatch, score_pair, skill_coverage
from registry.compliance import job_is_matchable
from registry.models import JobOrder, Worker

CONSENT = Clause("consent", "eq", True)
POOL = 300  # eligible workers retrieved and scored per job order


@dataclass
class CandidateList:
    """Ranked eligible candidates and counts of who was excluded by which rule."""

    items: list[ScoredMatch]
    excluded: dict[str, int]
    eligible_total: int


def job_query(ix: Indexer, job: JobOrder) -> tuple[str, Any]:
    """The text and vector a job order searches the workers index with (its indexed vector)."""
    text = job_text(job, ix.taxonomy)
    doc = ix.backend.get(JOBS, job.id)
    vector = doc.vector if doc is not None and doc.vector is not None else \
        ix.encoder.encode([text])[0]
    return text, vector


def eligible_pool(ix: Indexer, job: JobOrder, pool: int = POOL) -> tuple[list[Hit], float]:
    """The eligible workers serving scores for a job (hybrid retrieval, ``pool`` of them), and
    the largest keyword score among them (what the keyword part is divided by)."""
    ix.ensure_indexes()
    filters = [c.as_dict() for c in (CONSENT, *eligibility.filter_clauses(job_facts(job)))]
    text, vector = job_query(ix, job)
    hits = ix.backend.search(WORKERS, text=text, vector=vector, filters=filters, k=pool)
    return hits, max((h.keyword_score for h in hits), default=0.0)


def outcome_hits(ix: Indexer) -> Callable[[JobOrder, Iterable[int]],
                                           tuple[dict[int, Hit], float]]:
    """For training (``training.reranker.outcome_table``): a function giving, for a job order
    and worker ids, the hits serving would score them from and serving's keyword normaliser.

    Workers in serving's eligible pool keep exactly the hit serving scores; the others (no
    longer eligible, or below the pool) come from the same search without eligibility
    filters (up to 10,000 workers). A worker that is not indexed is absent.
    """
    def hits_for(job: JobOrder, ids: Iterable[int]) -> tuple[dict[int, Hit], float]:
        pool, bm25_max = eligible_pool(ix, job)
        found = {h.id: h for h in pool}
        wanted = set(ids)
        if wanted - set(found):
            text, vector = job_query(ix, job)
            k = min(max(ix.backend.count(WORKERS), 1), 10_000)
            for h in ix.backend.search(WORKERS, text=text, vector=vector, filters=[], k=k):
                found.setdefault(h.id, h)
        return {i: found[i] for i in wanted if i in found}, bm25_max

    return hits_for


def rank_workers_for_job(ix: Indexer, job: JobOrder, limit: int = 20,
                         pool: int = POOL) -> CandidateList:
    """Rank the eligible workers for one job order, best first, with explanations."""
    facts = job_facts(job)
    hits, bm25_max = eligible_pool(ix, job, max(pool, limit))
    req, opt = required_skills(job, ix.taxonomy.essential)
    # All candidates are scored in one pass (score_pair is score_many of one worker);
    # the matched/missing skill lists are built for the shown ones only.
    totals, parts = score_indexed_workers(hits, bm25_max, job, ix.taxonomy,
                                          active_weights(ix.settings.var_dir))
    order = sorted(range(len(hits)), key=lambda i: (-round(totals[i], 4), hits[i].id))[:limit]
    scored = []
    for i in order:
        h = hits[i]
        _, matched, missing = skill_coverage(req, opt, h.payload.get("skills", []))
        scored.append(ScoredMatch(h.id, round(totals[i], 4), parts[i], matched, missing))
    total_workers = ix.backend.count(WORKERS)
    excluded = {"no_consent": total_workers - ix.backend.count(WORKERS, [CONSENT.as_dict()])}
    for code, rule_clauses in eligibility.rule_filters(facts).items():
        excluded[code] = total_workers - ix.backend.count(
            WORKERS, [c.as_dict() for c in rule_clauses])
    filters = [c.as_dict() for c in (CONSENT, *eligibility.filter_clauses(facts))]
    eligible_total = ix.backend.count(WORKERS, filters)
    return CandidateList(scored, {k: v for k, v in excluded.items() if v}, eligible_total)


@dataclass
class JobMatch:
    """One matchable job order for a worker: its score, skills and the rules the worker fails.

    ``failures`` is empty when the worker is eligible. ``api.serializers`` shapes it as JSON.
    """

    job: JobOrder
    score: float
    parts: dict[str, float]
    matched_skills: list[str]
    missing_skills: list[str]
    failures: list[eligibility.Failure]


@dataclass
class JobMatches:
    """Jobs a worker is eligible for and jobs they fail a rule of, each best first."""

    items: list[JobMatch]
    not_eligible: list[JobMatch]


def rank_jobs_for_worker(ix: Indexer, worker: Worker, today: dt.date | None = None,
                         limit: int = 20, session: Session | None = None) -> JobMatches:
    """Rank the matchable job orders for a worker: eligible ones, and what the others need.

    Pass the caller's ``session`` inside a request: a second connection per request deadlocks
    the pool under load (every request holding one while waiting for another).
    """
    ix.ensure_indexes()
    today = today or dt.date.today()
    text = worker_text(worker, ix.taxonomy)
    doc = ix.backend.get(WORKERS, worker.id)
    vector = doc.vector if doc is not None and doc.vector is not None else \
        ix.encoder.encode([text or "worker"])[0]
    hits = ix.backend.search(JOBS, text=text, vector=vector,
                             filters=[{"field": "matchable", "op": "eq", "value": True}], k=200)
    by_id = {h.id: h for h in hits}
    bm25_max = max((h.keyword_score for h in hits), default=0.0)
    wf = worker_facts(worker)
    weights = active_weights(ix.settings.var_dir)
    # The indexed payload holds the structured experience, or what was inferred from free text.
    exp = payload_experience(doc.payload.get("experience", []) if doc is not None else [])
    eligible: list[JobMatch] = []
    not_eligible: list[JobMatch] = []
    with nullcontext(session) if session is not None else ix.sessions() as s:
        jobs = list(s.scalars(select(JobOrder).where(JobOrder.id.in_(list(by_id)))))
        for job in jobs:
            if not job_is_matchable(job, today):
                continue
            h = by_id[job.id]
            req, opt = required_skills(job, ix.taxonomy.essential)
            total, parts, matched, missing = score_pair(
                bm25=h.keyword_score, bm25_max=bm25_max, cosine=h.vector_score,
                job_required=req, job_optional=opt, job_uri=job.occupation_uri,
                job_isco=job_isco(job, ix.taxonomy), worker_skills=worker.skills or [],
                worker_experience=exp, weights=weights,
                occupation_skills=ix.taxonomy.essential)
            failures = eligibility.check(wf, job_facts(job))
            match = JobMatch(job, round(total, 4), parts, list(matched), list(missing),
                             list(failures))
            (not_eligible if failures else eligible).append(match)
    eligible.sort(key=lambda m: (-m.score, m.job.id))
    not_eligible.sort(key=lambda m: (-m.score, m.job.id))
    return JobMatches(eligible[:limit], not_eligible[:limit])
