"""The officer search ranks exactly as the per-pair scorer does, on a seeded registry + index."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from indexer.documents import JOBS, WORKERS
from indexer.ranking import CONSENT, rank_workers_for_job
from matcher import eligibility
from matcher.inputs import job_facts, job_text, payload_experience, required_skills
from matcher.models import active_weights
from matcher.scoring import score_pair
from registry.compliance import job_is_matchable
from registry.models import JobOrder


def _reference(ix, job, limit, pool=300):
    """The ranking as it was computed before the one-pass scorer: score_pair per hit."""
    filters = [c.as_dict() for c in (CONSENT, *eligibility.filter_clauses(job_facts(job)))]
    text = job_text(job, ix.taxonomy)
    vector = ix.backend.get(JOBS, job.id).vector
    hits = ix.backend.search(WORKERS, text=text, vector=vector, filters=filters,
                             k=max(pool, limit))
    req, opt = required_skills(job, ix.taxonomy.essential)
    occ = ix.taxonomy.occupations.get(job.occupation_uri or "")
    bm25_max = max((h.keyword_score for h in hits), default=0.0)
    out = []
    for h in hits:
        exp = payload_experience(h.payload.get("experience", []))
        total, parts, matched, missing = score_pair(
            bm25=h.keyword_score, bm25_max=bm25_max, cosine=h.vector_score, job_required=req,
            job_optional=opt, job_uri=job.occupation_uri, job_isco=occ.isco_group if occ else "",
            worker_skills=h.payload.get("skills", []), worker_experience=exp,
            weights=active_weights(ix.settings.var_dir), occupation_skills=ix.taxonomy.essential)
        out.append((round(total, 4), h.id, parts, matched, missing))
    out.sort(key=lambda m: (-m[0], m[1]))
    return out[:limit]


def test_candidates_equal_the_per_pair_scores(seeded):
    ix = seeded["indexer"]
    with ix.sessions() as s:
        jobs = [j for j in s.scalars(select(JobOrder).order_by(JobOrder.id))
                if job_is_matchable(j, dt.date.today())]
        assert len(jobs) >= 5
        compared = 0
        for job in jobs:
            got = rank_workers_for_job(ix, job, limit=50)
            want = _reference(ix, job, 50)
            assert [m.id for m in got.items] == [w[1] for w in want]
            for m, (score, _, parts, matched, missing) in zip(got.items, want, strict=True):
                assert abs(m.score - score) <= 1e-6
                assert m.parts == parts
                assert (m.matched_skills, m.missing_skills) == (matched, missing)
                compared += 1
        assert compared > 0
        # The counts of who was excluded by which rule agree with the registry's index.
        job = jobs[0]
        res = rank_workers_for_job(ix, job)
        total = ix.backend.count(WORKERS)
        assert res.eligible_total == ix.backend.count(
            WORKERS, [c.as_dict() for c in (CONSENT, *eligibility.filter_clauses(
                job_facts(job)))])
        assert all(0 < v <= total for v in res.excluded.values())
