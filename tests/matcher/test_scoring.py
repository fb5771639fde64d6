"""The one-pass scorer gives exactly the documented per-pair formula on real generated profiles,
and the per-pair scorer is the one-pass scorer of one worker."""

from __future__ import annotations

import datetime as dt
import random

from support import DATA_DIR

from indexer.documents import worker_document
from matcher.scoring import (
    Experience,
    best_experience,
    combine,
    inferred_skill_coverage,
    rescale_cosine,
    score_many,
    score_pair,
    skill_coverage,
)
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
    """The formula of the module docstring, part by part, from the documented helpers."""
    exp = [Experience(e["occupation_uri"], e.get("isco_group", ""), e["years"],
                      e.get("confidence", 1.0)) for e in p["experience"]]
    coverage, _, _ = skill_coverage(req, opt, p["skills"])
    if not p["skills"] and occ_skills is not None:
        coverage = inferred_skill_coverage(req, opt, exp, occ_skills)
    occ, years = best_experience(job.occupation_uri, isco, exp)
    parts = {"keyword": bm25 / bm25_max if bm25_max > 0 else 0.0,
             "embedding": rescale_cosine(cos), "skills": coverage, "occupation": occ,
             "experience": years}
    parts = {k: round(v, 4) for k, v in parts.items()}
    return combine(parts, weights), parts, None, None


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
                assert totals[i] == ref_total
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


def test_score_pair_is_a_row_of_score_many_on_random_inputs():
    rng = random.Random(11)
    skills = [f"s{i}" for i in range(30)]
    occs = [(f"occ:{i}", str(rng.randint(1000, 9999))) for i in range(20)]
    essential = {u: tuple(rng.sample(skills, 6)) for u, _ in occs}
    for trial in range(60):
        req, opt = rng.sample(skills, rng.randint(0, 8)), rng.sample(skills, rng.randint(0, 3))
        if trial % 4 == 0:
            req += req[:2]  # a skill listed twice counts twice
        job_uri, job_isco = rng.choice(occs)
        n = 25
        bm25 = [rng.choice([0.0, rng.uniform(0, 25)]) for _ in range(n)]
        cos = [rng.uniform(-0.3, 1.0) for _ in range(n)]
        have = [rng.sample(skills, rng.randint(0, 6)) if rng.random() < 0.7 else []
                for _ in range(n)]
        exps = [[Experience(u, i if rng.random() < 0.9 else "", rng.uniform(0, 9),
                            rng.choice([1.0, 0.4, 0.8])) for u, i in rng.sample(occs, 2)]
                for _ in range(n)]
        weights = rng.choice([None, {"experience": 0.2, "keyword": 0.3, "skills": 0.1,
                                     "embedding": 0.2, "occupation": 0.2}])
        occ_skills = rng.choice([None, essential])
        common = {"bm25_max": max(bm25), "job_required": req, "job_optional": opt,
                  "job_uri": job_uri, "job_isco": job_isco, "weights": weights,
                  "occupation_skills": occ_skills}
        totals, parts = score_many(
            bm25=bm25, cosine=cos, worker_skills=have, **common,
            worker_experience=[[{"occupation_uri": e.occupation_uri, "isco_group": e.isco_group,
                                 "years": e.years, "confidence": e.confidence} for e in x]
                               for x in exps])
        for i in range(n):
            total, part, matched, missing = score_pair(
                bm25=bm25[i], cosine=cos[i], worker_skills=have[i], worker_experience=exps[i],
                **common)
            assert (total, part) == (totals[i], parts[i])  # the same floats, bit for bit
            assert missing == [s for s in req if s not in have[i]]
            assert set(matched) == {s for s in req + opt if s in have[i]}


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
