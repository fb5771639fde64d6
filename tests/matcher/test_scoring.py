"""The one-pass scorer gives exactly the per-pair scores on real generated profiles."""

from __future__ import annotations

import datetime as dt
import random

from conftest import DATA_DIR

from indexer.documents import worker_document
from matcher.scoring import Experience, score_many, score_pair
from registry.models import JobOrder, Worker


def _pairs(taxonomy):
    from training.synthetic import generate

    data = generate(taxonomy, DATA_DIR, seed=5, workers=200, job_orders=12,
                    today=dt.date(2025, 6, 1))
    workers = [Worker(id=i, version=1, **r) for i, r in enumerate(data.workers, start=1)]
    payloads = [worker_document(w, taxonomy, None).payload for w in workers]
    jobs = [JobOrder(id=i, version=1, **r) for i, r in enumerate(data.job_orders, start=1)]
    return payloads, jobs


def _reference(p, job, req, opt, isco, bm25, bm25_max, cos, weights):
    exp = [Experience(e["occupation_uri"], e.get("isco_group", ""), e["years"],
                      e.get("confidence", 1.0)) for e in p["experience"]]
    return score_pair(bm25=bm25, bm25_max=bm25_max, cosine=cos, job_required=req,
                      job_optional=opt, job_uri=job.occupation_uri, job_isco=isco,
                      worker_skills=p["skills"], worker_experience=exp, weights=weights)


def test_score_many_equals_score_pair_on_generated_profiles(taxonomy):
    payloads, jobs = _pairs(taxonomy)
    rng = random.Random(0)
    # Inferred (free-text) experience carries a confidence below 1; duplicated required skills
    # and an empty skill list are legal inputs too.
    for p in payloads[::7]:
        for e in p["experience"]:
            e["confidence"] = rng.choice([0.35, 0.6, 1.0])
    learned = {"keyword": 0.05, "embedding": 0.4, "skills": 0.2, "occupation": 0.3,
               "experience": 0.05}
    checked = 0
    for jn, job in enumerate(jobs):
        req = list(job.required_skills or []) or list(
            taxonomy.essential.get(job.occupation_uri, ()))[:15]
        opt = list(job.optional_skills or [])
        if jn == 1:
            req = req + req[:2]
        if jn == 2:
            req, opt = [], []
        occ = taxonomy.occupations.get(job.occupation_uri or "")
        isco = occ.isco_group if occ else ""
        bm25 = [rng.choice([0.0, rng.uniform(0, 30)]) for _ in payloads]
        cos = [rng.uniform(-0.2, 1.0) for _ in payloads]
        bm25_max = max(bm25)
        for weights in (None, learned, dict(reversed(learned.items()))):
            totals, parts = score_many(
                bm25=bm25, bm25_max=bm25_max, cosine=cos, job_required=req, job_optional=opt,
                job_uri=job.occupation_uri, job_isco=isco,
                worker_skills=[p["skills"] for p in payloads],
                worker_experience=[p["experience"] for p in payloads], weights=weights)
            for i, p in enumerate(payloads):
                ref_total, ref_parts, _, _ = _reference(p, job, req, opt, isco, bm25[i],
                                                        bm25_max, cos[i], weights)
                assert parts[i] == ref_parts
                assert abs(totals[i] - ref_total) <= 1e-6
                checked += 1
    # The data exercises every part, not just zeros.
    assert checked == len(jobs) * len(payloads) * 3
    assert any(pp["occupation"] == 1.0 for pp in parts)
    assert any(0 < pp["skills"] < 1 for pp in parts)


def test_score_many_of_no_candidates_is_empty():
    totals, parts = score_many(bm25=[], bm25_max=0.0, cosine=[], job_required=["a"],
                               job_optional=[], job_uri=None, job_isco="", worker_skills=[],
                               worker_experience=[])
    assert totals == [] and parts == []
