"""`candidates`: end-to-end benchmark of ranking workers for job orders, built from ESCO.

Population (deterministic for a seed). Target occupations are drawn like the demo seed (BMET
skill-level shares, common migrant trades weighted up). For each target: workers of that
occupation, workers of *sibling* occupations (same ISCO-08 unit group), workers of *related*
occupations (same ISCO minor group, other unit group), and a background drawn from the whole
pool. Every worker has a true profile known to the generator (occupation, a random 30–90 % of
its essential skills plus some optional ones, years, sometimes a second occupation of the same
unit group), and a *recorded* profile that hides part of it, the way real registrations do:

- 40 % structured: experience (occupation, years) and the partial skill list, plus own words;
- 10 % occupation only: experience recorded, no skills;
- 50 % text only: no experience, no skills, just the worker's first-person self-description.

Own words never quote the ESCO profile: the trade is named the way the worker says it (an
O*NET "reported title" of the crosswalked O*NET occupation 40 %, an ESCO alternative label
40 %, the preferred label 20 %), lower-cased, abbreviated 30 % of the time and misspelt 25 %;
the work is described by O*NET core task statements or ESCO skill alternative labels; a third
of texts add words unrelated to the trade (see ``training.synthetic_text.first_person_text``). Job
orders carry structured required skills (5–8 essential ones) and an occupation, as an officer
records them, but a noisy title and, half the time, a duties line of O*NET tasks.
Every worker is made eligible, so the benchmark measures ranking, not filtering.

Relevance of worker w for job j, from w's *true* profile only (never from any system's score):
  3 — same ESCO occupation and ≥ half of the job's required skills;
  2 — same ESCO occupation (fewer skills), or a sibling occupation (same ISCO-08 unit group);
  1 — related: same ISCO minor group (3 digits), or a second occupation in the job's unit group;
  0 — otherwise.
Metric: graded nDCG@10 (gain 2^rel − 1) over the whole worker pool, for Shetu's full ranking
(indexer.ranking.rank_workers_for_job), BM25 only (the keyword leg) and embedding only (the
vector leg), all on the same index and the same eligibility filter.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from pathlib import Path
from typing import Any

from indexer.documents import WORKERS
from indexer.ranking import CONSENT, rank_workers_for_job
from indexer.service import Indexer
from matcher import eligibility
from matcher.inputs import job_facts, job_text
from registry.config import Settings
from registry.db import session_scope
from registry.migrate import upgrade
from registry.models import Agency, Employer, JobOrder, OutboxEvent, Worker
from registry.vocab import Gender, JobStatus, LicenceStatus
from training.eval_context import Row, TaskResult, task_result
from training.metrics import graded_ndcg
from training.synthetic import make_worker, occupation_pool
from training.synthetic_text import load_profile_vocab, spoken_title

# Every worker is eligible (the benchmark measures ranking, not filtering).
MALE: Gender = "male"
VALID: LicenceStatus = "valid"
VERIFIED: JobStatus = "verified"


def build(tax: Any, data_dir: Path, *, seed: int, n_jobs: int, per_job: int, siblings: int,
          related: int, background: int, today: dt.date
          ) -> tuple[list[dict], list[dict], list[dict]]:
    """Return (workers, truths, jobs) rows for the benchmark."""
    rng = random.Random(seed)
    vocab = load_profile_vocab(tax, data_dir)
    occs, weights = occupation_pool(tax, data_dir)
    targets: list[Any] = []
    while len(targets) < n_jobs:
        o = rng.choices(occs, weights)[0]
        if o not in targets and len(tax.essential.get(o.uri, ())) >= 5:
            targets.append(o)
    by_group: dict[str, list[Any]] = {}
    by_minor: dict[str, list[Any]] = {}
    for o in tax.occupations.values():
        if tax.essential.get(o.uri):
            by_group.setdefault(o.isco_group, []).append(o)
            by_minor.setdefault(o.isco_group[:3], []).append(o)
    workers, truths = [], []

    def add(occ: Any) -> None:
        w = make_worker(rng, tax, occ, today, vocab=vocab)
        truths.append({"occupation_uri": occ.uri, "isco_group": occ.isco_group,
                       "skills": set(w["skills"]),
                       "other_groups": {tax.occupations[e["occupation_uri"]].isco_group
                                        for e in w["experience"][1:]}})
        roll = rng.random()
        truths[-1]["recorded"] = "structured"
        if roll < 0.5:
            w["skills"], w["experience"] = [], []
            truths[-1]["recorded"] = "text only"
        elif roll < 0.6:
            w["skills"] = []
            truths[-1]["recorded"] = "occupation only"
        w.update(date_of_birth=today - dt.timedelta(days=365 * 30), passport_expiry=today +
                 dt.timedelta(days=3000), medical_fit=True, bmet_registration="BMET-1",
                 consent=True, languages=["Bangla"], gender=MALE, ntvqf_level=3)
        workers.append(w)

    for occ in targets:
        for _ in range(per_job):
            add(occ)
        sibs = [o for o in by_group.get(occ.isco_group, []) if o.uri != occ.uri]
        for _ in range(siblings if sibs else 0):
            add(rng.choice(sibs))
        rel = [o for o in by_minor.get(occ.isco_group[:3], []) if o.isco_group != occ.isco_group]
        for _ in range(related if rel else 0):
            add(rng.choice(rel))
    for _ in range(background):
        add(rng.choices(occs, weights)[0])
    jobs = []
    for occ in targets:
        essential = list(tax.essential[occ.uri])
        title = spoken_title(rng, occ, vocab)
        tasks = vocab.tasks.get(occ.uri, [])
        description = ""
        if tasks and rng.random() < 0.5:
            description = "Duties: " + "; ".join(rng.sample(tasks, min(len(tasks), 3))) + "."
        jobs.append({"occupation_uri": occ.uri, "title": title, "description": description,
                     "required_skills":
                     rng.sample(essential, min(len(essential), rng.randint(5, 8)))})
    return workers, truths, jobs


def relevance(truth: dict, job: dict, job_isco: str) -> int:
    """Return the graded relevance of a worker (by their true profile) for a job."""
    req = job["required_skills"]
    half = sum(1 for s in req if s in truth["skills"]) * 2 >= len(req)
    if truth["occupation_uri"] == job["occupation_uri"]:
        return 3 if half else 2
    if truth["isco_group"] == job_isco:
        return 2
    if truth["isco_group"][:3] == job_isco[:3] or job_isco in truth.get("other_groups", ()):
        return 1
    return 0


def candidates(ctx: Any, *, n_jobs: int = 40, per_job: int = 8, siblings: int = 6,
               related: int = 4, background: int = 700) -> TaskResult:
    """Run the benchmark; return rows in the evaluation table format."""
    if ctx.limit:
        n_jobs = min(n_jobs, ctx.limit)
    today = dt.date.today()
    tax = ctx.taxonomy
    workers, truths, jobs = build(tax, ctx.data_dir, seed=ctx.seed, n_jobs=n_jobs,
                                  per_job=per_job, siblings=siblings, related=related,
                                  background=background,
                                  today=today)
    with tempfile.TemporaryDirectory(prefix="shetu-eval-") as tmp:
        settings = Settings(env="test", var_dir=Path(tmp), data_dir=ctx.data_dir,
                            model=ctx.model)
        upgrade(settings.database_url)
        with session_scope(settings.database_url) as s:
            s.add(Agency(name="Eval", licence_number="RL-EVAL", licence_status=VALID,
                         licence_valid_until=today + dt.timedelta(days=900)))
            s.add(Employer(name="Eval employer", country="Saudi Arabia"))
            s.flush()
            ws = [Worker(**w) for w in workers]
            s.add_all(ws)
            s.flush()
            s.add_all(OutboxEvent(entity="worker", entity_id=w.id, version=1, op="upsert")
                      for w in ws)
            job_rows = [JobOrder(employer_id=1, agency_id=1, destination="Saudi Arabia",
                                 status=VERIFIED, demand_letter_attested=True,
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
        kind = {wid: t["recorded"] for wid, t in zip(worker_ids, truths, strict=True)}
        # relevant (grade ≥ 2) workers in each system's top 10, by how the profile was recorded
        found: dict[str, dict[str, int]] = {k: {} for k in ("shetu", "bm25", "minilm", "pool")}
        with session_scope(settings.database_url) as s:
            for jid, job in zip(job_ids, jobs, strict=True):
                jo = s.get(JobOrder, jid)
                assert jo is not None
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
                jdoc = ix.backend.get("jobs", jid)
                vec = jdoc.vector if jdoc is not None else None
                vh = ix.backend.search(WORKERS, text=None, vector=vec, filters=filters, k=10)
                vec_ranked = [h.id for h in sorted(vh, key=lambda h: -h.vector_score)]
                for name, ranked in (("shetu", shetu), ("bm25", kw_ranked),
                                     ("minilm", vec_ranked)):
                    scores[name].append(graded_ndcg(ranked, rel))
                    for d in ranked[:10]:
                        if rel.get(d, 0) >= 2:
                            found[name][kind[d]] = found[name].get(kind[d], 0) + 1
                for d, r in rel.items():
                    if r >= 2:
                        found["pool"][kind[d]] = found["pool"].get(kind[d], 0) + 1
        ix.backend.close()
    means = {k: round(sum(v) / len(v), 4) for k, v in scores.items()}
    best_base = max(means["bm25"], means["minilm"])
    rows: list[Row] = [{"dataset": f"ESCO candidates benchmark ({len(jobs)} job orders, "
                                   f"{len(workers)} workers, graded 0–3)",
                        "n": len(jobs), "metric": "nDCG@10", "systems": means}]
    return task_result(rows, f"Shetu / better baseline = {means['shetu'] / best_base:.2f}× "
                     "(target ≥ 1.15×). Relevance definition in training/eval_candidates.py. "
                     "Grade ≥ 2 workers in the top 10 by recorded profile (structured / "
                     "occupation only / text only): " + "; ".join(
                         f"{k} " + "/".join(str(found[k].get(t, 0)) for t in (
                             "structured", "occupation only", "text only"))
                         for k in ("shetu", "bm25", "minilm", "pool")) + ".", "nDCG@10")
