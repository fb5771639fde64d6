"""`candidates`: end-to-end benchmark of ranking workers for job orders, built from ESCO.

The population and the graded relevance come from :mod:`training.candidates_population` (read
there how workers and job orders are made and what counts as relevant). This module puts them in
a throw-away registry and index and ranks: graded nDCG@10 (gain 2^rel − 1) over the whole worker
pool, for Shetu's full ranking (:func:`indexer.ranking.rank_workers_for_job`), BM25 only (the
keyword leg) and embedding only (the vector leg), all on the same index and the same
eligibility filter.

It lives in ``indexer/`` because it drives an index; ``training/`` never imports ``indexer/``.
It is registered as the ``candidates`` evaluation task by the CLI (:data:`EVAL_TASKS`).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path

from indexer.documents import WORKERS
from indexer.ranking import CONSENT, rank_workers_for_job
from indexer.service import Indexer
from matcher import eligibility
from matcher.inputs import job_facts, job_text
from registry.config import Settings
from registry.db import session_scope
from registry.migrate import upgrade
from registry.models import Agency, Employer, JobOrder, OutboxEvent, Worker
from registry.vocab import JobStatus, LicenceStatus
from training.candidates_population import RECORDED, build, relevance
from training.eval_context import EvalContext, Row, TaskResult, task_result
from training.eval_tasks import TASKS
from training.metrics import graded_ndcg

VALID: LicenceStatus = "valid"
VERIFIED: JobStatus = "verified"


def candidates(ctx: EvalContext, *, n_jobs: int = 40, per_job: int = 8, siblings: int = 6,
               related: int = 4, background: int = 700, hard: bool = False) -> TaskResult:
    """Run the benchmark; return rows in the evaluation table format."""
    if ctx.limit:
        n_jobs = min(n_jobs, ctx.limit)
    today = dt.date.today()
    tax = ctx.taxonomy
    text_only, occupation_only = RECORDED["hard" if hard else "standard"]
    workers, truths, jobs = build(tax, ctx.data_dir, seed=ctx.seed, n_jobs=n_jobs,
                                  per_job=per_job, siblings=siblings * (2 if hard else 1),
                                  related=related, background=background, today=today,
                                  text_only=text_only, occupation_only=occupation_only)
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
                rel = {wid: relevance(t, job, job_isco, hard=hard)
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
    name = "ESCO candidates benchmark, hard (siblings are distractors; " \
        f"{round(text_only * 100)} % text only" if hard else "ESCO candidates benchmark ("
    rows: list[Row] = [{"dataset": f"{name}{'; ' if hard else ''}{len(jobs)} job orders, "
                                   f"{len(workers)} workers, graded 0–3)",
                        "n": len(jobs), "metric": "nDCG@10", "systems": means}]
    target = "1.2× on this hard set" if hard else "1.15×"
    return task_result(rows, f"Shetu / better baseline = {means['shetu'] / best_base:.2f}× "
                     f"(target ≥ {target}). Relevance definition in "
                     "training/candidates_population.py. "
                     "Grade ≥ 2 workers in the top 10 by recorded profile (structured / "
                     "occupation only / text only): " + "; ".join(
                         f"{k} " + "/".join(str(found[k].get(t, 0)) for t in (
                             "structured", "occupation only", "text only"))
                         for k in ("shetu", "bm25", "minilm", "pool")) + ".", "nDCG@10")


# Every evaluation task: the taxonomy ones of training.eval_tasks and this index-driven one.
def candidates_hard(ctx: EvalContext) -> TaskResult:
    """The hard variant: 70 % text-only profiles, twice the siblings, siblings as distractors."""
    return candidates(ctx, hard=True)


EVAL_TASKS: dict[str, Callable[[EvalContext], TaskResult]] = {
    **TASKS, "candidates": candidates, "candidates-hard": candidates_hard}
