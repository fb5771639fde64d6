"""Search flows: eligibility pre-filter → hybrid retrieval → feature scoring → explanations.

The same ``matcher`` code scores workers-for-a-job and jobs-for-a-worker.
"""

from __future__ import annotations

import datetime as dt
import json
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.documents import JOBS, WORKERS, job_text, worker_text
from indexer.service import Indexer
from matcher import eligibility
from matcher.eligibility import Clause, JobFacts, WorkerFacts
from matcher.scoring import (
    DEFAULT_WEIGHTS,
    Experience,
    ScoredMatch,
    score_many,
    score_pair,
    skill_coverage,
)
from registry.compliance import job_is_matchable
from registry.models import JobOrder, Worker

CONSENT = Clause("consent", "eq", True)
MAX_REQUIRED_FROM_ESCO = 15


def job_facts(job: JobOrder) -> JobFacts:
    """Return the eligibility facts of a job order."""
    return JobFacts(deadline=job.deadline, min_age=job.min_age, max_age=job.max_age,
                    gender_rule=job.gender_rule, domestic_work=job.domestic_work,
                    medical_required=job.medical_required,
                    required_ntvqf_level=job.required_ntvqf_level,
                    languages=tuple(job.languages or ()))


def worker_facts(w: Worker) -> WorkerFacts:
    """Return the eligibility facts of a worker."""
    return WorkerFacts(date_of_birth=w.date_of_birth, gender=w.gender,
                       passport_expiry=w.passport_expiry, medical_fit=w.medical_fit,
                       ntvqf_level=w.ntvqf_level, languages=tuple(w.languages or ()),
                       bmet_registered=bool(w.bmet_registration))


def required_skills(ix: Indexer, job: JobOrder) -> tuple[list[str], list[str]]:
    """Return the job's required/optional skills, from ESCO's essential ones if none were given."""
    req = list(job.required_skills or [])
    opt = list(job.optional_skills or [])
    if not req and job.occupation_uri:
        req = list(ix.taxonomy.essential.get(job.occupation_uri, ()))[:MAX_REQUIRED_FROM_ESCO]
    return req, opt


def learned_weights(settings: Any) -> dict[str, float] | None:
    """Return the active re-ranker's score-part weights, or None for the hand-set ones.

    ``shetu models activate`` writes ``var/models/ACTIVE_RERANKER`` (see training/models.py);
    read on every search, so a newly activated re-ranker takes effect without a restart.
    """
    root = Path(settings.var_dir) / "models"
    try:
        name = (root / "ACTIVE_RERANKER").read_text(encoding="utf-8").strip()
        weights = json.loads((root / name / "weights.json").read_text(encoding="utf-8"))["weights"]
        return {k: float(weights[k]) for k in DEFAULT_WEIGHTS}
    except (OSError, ValueError, KeyError, TypeError):
        return None


@dataclass
class CandidateList:
    """Ranked eligible candidates and counts of who was excluded by which rule."""

    items: list[ScoredMatch]
    excluded: dict[str, int]
    eligible_total: int


def rank_workers_for_job(ix: Indexer, job: JobOrder, limit: int = 20,
                         pool: int = 300) -> CandidateList:
    """Rank the eligible workers for one job order, best first, with explanations."""
    ix.ensure_indexes()
    facts = job_facts(job)
    clauses = [CONSENT, *eligibility.filter_clauses(facts)]
    filters = [c.as_dict() for c in clauses]
    text = job_text(job, ix.taxonomy)
    doc = ix.backend.get(JOBS, job.id)
    vector = doc.vector if doc is not None and doc.vector is not None else \
        ix.encoder.encode([text])[0]
    hits = ix.backend.search(WORKERS, text=text, vector=vector, filters=filters,
                             k=max(pool, limit))
    req, opt = required_skills(ix, job)
    occ = ix.taxonomy.occupations.get(job.occupation_uri or "")
    isco = occ.isco_group if occ else ""
    bm25_max = max((h.keyword_score for h in hits), default=0.0)
    weights = learned_weights(ix.settings)
    # All candidates are scored in one pass (same floats as score_pair, see matcher.scoring);
    # the matched/missing skill lists are built for the shown ones only.
    totals, parts = score_many(
        bm25=[h.keyword_score for h in hits], bm25_max=bm25_max,
        cosine=[h.vector_score for h in hits], job_required=req, job_optional=opt,
        job_uri=job.occupation_uri, job_isco=isco,
        worker_skills=[h.payload.get("skills", ()) for h in hits],
        worker_experience=[h.payload.get("experience", ()) for h in hits], weights=weights,
        occupation_skills=ix.taxonomy.essential)
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
    weights = learned_weights(ix.settings)
    # The indexed payload holds the structured experience, or what was inferred from free text.
    exp = [Experience(e["occupation_uri"], e.get("isco_group", ""), float(e.get("years", 0)),
                      e.get("confidence", 1.0))
           for e in (doc.payload.get("experience", []) if doc is not None else [])]
    eligible: list[JobMatch] = []
    not_eligible: list[JobMatch] = []
    with nullcontext(session) if session is not None else ix.sessions() as s:
        jobs = list(s.scalars(select(JobOrder).where(JobOrder.id.in_(list(by_id)))))
        for job in jobs:
            if not job_is_matchable(job, today):
                continue
            h = by_id[job.id]
            req, opt = required_skills(ix, job)
            occ = ix.taxonomy.occupations.get(job.occupation_uri or "")
            total, parts, matched, missing = score_pair(
                bm25=h.keyword_score, bm25_max=bm25_max, cosine=h.vector_score,
                job_required=req, job_optional=opt, job_uri=job.occupation_uri,
                job_isco=occ.isco_group if occ else "", worker_skills=worker.skills or [],
                worker_experience=exp, weights=weights,
                occupation_skills=ix.taxonomy.essential)
            failures = eligibility.check(wf, job_facts(job))
            match = JobMatch(job, round(total, 4), parts, list(matched), list(missing),
                             list(failures))
            (not_eligible if failures else eligible).append(match)
    eligible.sort(key=lambda m: (-m.score, m.job.id))
    not_eligible.sort(key=lambda m: (-m.score, m.job.id))
    return JobMatches(eligible[:limit], not_eligible[:limit])
