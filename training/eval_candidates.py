"""`candidates`: end-to-end benchmark of ranking workers for job orders, built from ESCO.

Data (deterministic for a seed): target occupations drawn like the demo seed (BMET skill-level
shares, common migrant trades weighted up); for each, workers in that occupation, workers in
sibling occupations of the same ISCO unit group, and background workers from elsewhere. Profiles
are deliberately imperfect: ~30 % carry only free text (no structured skills or experience), the
rest list a random 30–90 % of their essential skills, and self-descriptions use alternative
labels. Each job order's title is a noisy alternative label (lower-cased, sometimes with a typo).
Every worker is made eligible, so the benchmark measures ranking, not filtering.

Relevance of worker w for job j, from w's *true* occupation and skills (known to the generator
even where the profile hides them):
  3 — same ESCO occupation and ≥ half of the job's required skills;
  2 — same ESCO occupation (fewer skills), or same ISCO-08 unit group (4 digits) with
      ≥ half of the job's required skills;
  1 — same ISCO unit group, or same minor group (3 digits);
  0 — otherwise.
Metric: graded nDCG@10 (gain 2^rel − 1) over the whole worker pool, for Shetu's full ranking
(indexer.ranking.rank_workers_for_job), BM25 only (the keyword leg) and embedding only (the
vector leg), all on the same index and the same eligibility filter.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import tempfile
from pathlib import Path
from typing import Any

from indexer.documents import WORKERS, job_text
from indexer.ranking import CONSENT, job_facts, rank_workers_for_job
from indexer.service import Indexer
from matcher import eligibility
from registry.config import Settings
from registry.db import session_scope
from registry.migrate import upgrade
from registry.models import Agency, Employer, JobOrder, OutboxEvent, Worker
from training.synthetic import make_worker, occupation_pool


def _typo(rng: random.Random, s: str) -> str:
    if len(s) < 6 or rng.random() > 0.3:
        return s
    i = rng.randrange(1, len(s) - 1)
    return s[:i] + s[i + 1] + s[i] + s[i + 2:]


def graded_ndcg(ranked: list[int], rel: dict[int, int], k: int = 10) -> float:
    """Return graded nDCG@k (gain 2^rel − 1, log2 discount) of a ranked id list."""
    dcg = sum((2 ** rel.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(rel.values(), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def build(tax: Any, data_dir: Path, *, seed: int, n_jobs: int, per_job: int, siblings: int,
          background: int, today: dt.date) -> tuple[list[dict], list[dict], list[dict]]:
    """Return (workers, truths, jobs) rows for the benchmark."""
    rng = random.Random(seed)
    occs, weights = occupation_pool(tax, data_dir)
    targets: list[Any] = []
    while len(targets) < n_jobs:
        o = rng.choices(occs, weights)[0]
        if o not in targets and len(tax.essential.get(o.uri, ())) >= 5:
            targets.append(o)
    by_group: dict[str, list[Any]] = {}
    for o in tax.occupations.values():
        if tax.essential.get(o.uri):
            by_group.setdefault(o.isco_group, []).append(o)
    workers, truths = [], []

    def add(occ: Any) -> None:
        w = make_worker(rng, tax, occ, today)
        truths.append({"occupation_uri": occ.uri, "isco_group": occ.isco_group,
                       "skills": set(w["skills"])})
        if rng.random() < 0.3:
            w["skills"], w["experience"] = [], []
        w.update(date_of_birth=today - dt.timedelta(days=365 * 30), passport_expiry=today +
                 dt.timedelta(days=3000), medical_fit=True, bmet_registration="BMET-1",
                 consent=True, languages=["Bangla"], gender="male", ntvqf_level=3)
        workers.append(w)

    for occ in targets:
        for _ in range(per_job):
            add(occ)
        sibs = [o for o in by_group.get(occ.isco_group, []) if o.uri != occ.uri]
        for _ in range(siblings if sibs else 0):
            add(rng.choice(sibs))
    for _ in range(background):
        add(rng.choices(occs, weights)[0])
    jobs = []
    for occ in targets:
        essential = list(tax.essential[occ.uri])
        title = rng.choice((occ.label, *occ.alt_labels)) if occ.alt_labels else occ.label
        jobs.append({"occupation_uri": occ.uri, "title": _typo(rng, title.lower()),
                     "description": "", "required_skills":
                     rng.sample(essential, min(len(essential), rng.randint(5, 8)))})
    return workers, truths, jobs


def relevance(truth: dict, job: dict, job_isco: str) -> int:
    """Return the graded relevance of a worker (by their true profile) for a job."""
    req = job["required_skills"]
    half = sum(1 for s in req if s in truth["skills"]) * 2 >= len(req)
    if truth["occupation_uri"] == job["occupation_uri"]:
        return 3 if half else 2
    if truth["isco_group"] == job_isco:
        return 2 if half else 1
    if truth["isco_group"][:3] == job_isco[:3]:
        return 1
    return 0


def candidates(ctx: Any, *, n_jobs: int = 40, per_job: int = 8, siblings: int = 6,
               background: int = 700) -> dict:
    """Run the benchmark; return rows in the evaluation table format."""
    if ctx.limit:
        n_jobs = min(n_jobs, ctx.limit)
    today = dt.date.today()
    tax = ctx.taxonomy
    workers, truths, jobs = build(tax, ctx.data_dir, seed=ctx.seed, n_jobs=n_jobs,
                                  per_job=per_job, siblings=siblings, background=background,
                                  today=today)
    with tempfile.TemporaryDirectory(prefix="shetu-eval-") as tmp:
        settings = Settings(env="test", var_dir=Path(tmp), data_dir=ctx.data_dir,
                            model=ctx.model)
        upgrade(settings.database_url)
        with session_scope(settings.database_url) as s:
            s.add(Agency(name="Eval", licence_number="RL-EVAL", licence_status="valid",
                         licence_valid_until=today + dt.timedelta(days=900)))
            s.add(Employer(name="Eval employer", country="Saudi Arabia"))
            s.flush()
            ws = [Worker(**w) for w in workers]
            s.add_all(ws)
            s.flush()
            s.add_all(OutboxEvent(entity="worker", entity_id=w.id, version=1, op="upsert")
                      for w in ws)
            job_rows = [JobOrder(employer_id=1, agency_id=1, destination="Saudi Arabia",
                                 status="verified", demand_letter_attested=True,
                                 recruitment_permission="RP", medical_required=True,
                                 deadline=today + dt.timedelta(days=60), **j) for j in jobs]
            s.add_all(job_rows)
            s.flush()
            s.add_all(OutboxEvent(entity="job_order", entity_id=j.id, version=1, op="upsert")
                      for j in job_rows)
            worker_ids = [w.id for w in ws]
            job_ids = [j.id for j in job_rows]
        ix = Indexer(settings, taxonomy=tax)
        ctx.log(f"  indexing {len(workers)} workers and {len(jobs)} job orders "
                f"with {ix.encoder.name}...")
        ix.drain_outbox()
        scores: dict[str, list[float]] = {"shetu": [], "bm25": [], "minilm": []}
        with session_scope(settings.database_url) as s:
            for jid, job in zip(job_ids, jobs, strict=True):
                jo = s.get(JobOrder, jid)
                job_isco = tax.occupations[job["occupation_uri"]].isco_group
                rel = {wid: relevance(t, job, job_isco)
                       for wid, t in zip(worker_ids, truths, strict=True)}
                rel = {k: v for k, v in rel.items() if v}
                filters = [c.as_dict() for c in (CONSENT, *eligibility.filter_clauses(
                    job_facts(jo)))]
                shetu = [m.id for m in rank_workers_for_job(ix, jo, limit=10).items]
                text = job_text(jo, tax)
                kw = ix.backend.search(WORKERS, text=text, vector=None, filters=filters, k=10)
                kw_ranked = [h.id for h in sorted(kw, key=lambda h: -h.keyword_score)]
                vec = ix.backend.get("jobs", jid).vector
                vh = ix.backend.search(WORKERS, text=None, vector=vec, filters=filters, k=10)
                vec_ranked = [h.id for h in sorted(vh, key=lambda h: -h.vector_score)]
                scores["shetu"].append(graded_ndcg(shetu, rel))
                scores["bm25"].append(graded_ndcg(kw_ranked, rel))
                scores["minilm"].append(graded_ndcg(vec_ranked, rel))
        ix.backend.close()
    means = {k: round(sum(v) / len(v), 4) for k, v in scores.items()}
    best_base = max(means["bm25"], means["minilm"])
    return {"rows": [{"dataset": f"ESCO candidates benchmark ({len(jobs)} job orders, "
                                 f"{len(workers)} workers, graded 0–3)",
                      "n": len(jobs), "metric": "nDCG@10", "systems": means}],
            "notes": f"Shetu / better baseline = {means['shetu'] / best_base:.2f}× "
                     "(target ≥ 1.15×). Relevance definition in training/eval_candidates.py."}
