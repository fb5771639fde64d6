"""The one-pass scorer gives exactly the per-pair scores on real generated profiles."""

from __future__ import annotations

import datetime as dt
import random

from support import DATA_DIR

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


def _reference(p, job, req, opt, isco, bm25, bm25_max, cos, weights, occ_skills=None):
    exp = [Experience(e["occupation_uri"], e.get("isco_group", ""), e["years"],
                      e.get("confidence", 1.0)) for e in p["experience"]]
    return score_pair(bm25=bm25, bm25_max=bm25_max, cosine=cos, job_required=req,
                      job_optional=opt, job_uri=job.occupation_uri, job_isco=isco,
                      worker_skills=p["skills"], worker_experience=exp, weights=weights,
                      occupation_skills=occ_skills)


def test_score_many_equals_score_pair_on_generated_profiles(taxonomy):
    payloads, jobs = _pairs(taxonomy)
    rng = random.Random(0)
    # Inferred (free-text) experience carries a confidence below 1; duplicated required skills
    # and an empty skill list are legal inputs too.
    for p in payloads[::7]:
        for e in p["experience"]:
            e["confidence"] = rng.choice([0.35, 0.6, 1.0])
    # Text-only profiles: no recorded skills, occupations inferred (the skills part then comes
    # from the inferred occupations' essential skills).
    for p in payloads[3::5]:
        p["skills"] = []
        for e in p["experience"]:
            e["confidence"] = rng.choice([0.35, 0.6, 0.9, 1.0])
    learned = {"keyword": 0.05, "embedding": 0.4, "skills": 0.2, "occupation": 0.3,
               "experience": 0.05}
    checked = 0
    inferred_same_occupation: list[float] = []
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
        for weights, occ_skills in ((None, taxonomy.essential), (learned, None),
                                    (dict(reversed(learned.items())), taxonomy.essential)):
            totals, parts = score_many(
                bm25=bm25, bm25_max=bm25_max, cosine=cos, job_required=req, job_optional=opt,
                job_uri=job.occupation_uri, job_isco=isco,
                worker_skills=[p["skills"] for p in payloads],
                worker_experience=[p["experience"] for p in payloads], weights=weights,
                occupation_skills=occ_skills)
            for i, p in enumerate(payloads):
                ref_total, ref_parts, _, _ = _reference(p, job, req, opt, isco, bm25[i],
                                                        bm25_max, cos[i], weights, occ_skills)
                assert parts[i] == ref_parts
                assert abs(totals[i] - ref_total) <= 1e-6
                checked += 1
                if occ_skills is not None and not p["skills"] and any(
                        e.get("confidence", 1.0) < 1 and e["occupation_uri"] == job.occupation_uri
                        for e in p["experience"]) and req:
                    inferred_same_occupation.append(parts[i]["skills"])
    # The data exercises every part, not just zeros.
    assert checked == len(jobs) * len(payloads) * 3
    assert inferred_same_occupation and max(inferred_same_occupation) > 0
    assert any(pp["occupation"] == 1.0 for pp in parts)
    assert any(0 < pp["skills"] < 1 for pp in parts)


def test_score_many_of_no_candidates_is_empty():
    totals, parts = score_many(bm25=[], bm25_max=0.0, cosine=[], job_required=["a"],
                               job_optional=[], job_uri=None, job_isco="", worker_skills=[],
                               worker_experience=[])
    assert totals == [] and parts == []


def test_unknown_skills_of_a_text_only_profile_come_from_its_inferred_occupation():
    """A worker who described their trade in words has no recorded skills: the skills part is
    the confidence-weighted share of the job's skills that the inferred occupation's essential
    skills cover — not 0 — while a declared occupation with no listed skills still gets 0."""
    essential = {"occ:welder": ("s:weld", "s:cut", "s:read-drawings"),
                 "occ:cook": ("s:cook", "s:hygiene")}
    req, opt = ["s:weld", "s:cut", "s:grind", "s:read-drawings"], []

    def skills_part(skills, exp):
        _, parts, matched, missing = score_pair(
            bm25=0.0, bm25_max=0.0, cosine=0.5, job_required=req, job_optional=opt,
            job_uri="occ:welder", job_isco="7212", worker_skills=skills,
            worker_experience=exp, occupation_skills=essential)
        return parts["skills"], matched, missing

    inferred = [Experience("occ:cook", "5120", 2, 0.4), Experience("occ:welder", "7212", 3, 0.8)]
    part, matched, missing = skills_part([], inferred)
    assert part == round(0.8 * 3 / 4, 4)
    assert matched == [] and missing == req  # the explanation shows recorded skills only
    assert skills_part([], [Experience("occ:welder", "7212", 3, 1.0)])[0] == 0.0
    assert skills_part(["s:weld"], inferred)[0] == 0.25  # recorded skills win
    totals, parts = score_many(bm25=[0.0], bm25_max=0.0, cosine=[0.5], job_required=req,
                               job_optional=opt, job_uri="occ:welder", job_isco="7212",
                               worker_skills=[[]], occupation_skills=essential,
                               worker_experience=[[{"occupation_uri": e.occupation_uri,
                                                    "isco_group": e.isco_group,
                                                    "years": e.years,
                                                    "confidence": e.confidence}
                                                   for e in inferred]])
    assert parts[0]["skills"] == part
