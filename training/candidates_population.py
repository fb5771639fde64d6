"""The `candidates` benchmark's population and relevance: workers and job orders built from ESCO.

The benchmark itself (index them, rank, score) is :mod:`indexer.eval_candidates`; this module
only makes the data and says what is relevant, so ``training/`` never drives an index.

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

The *hard* variant (``candidates-hard``, issue 15: "more text-only and sibling-occupation
workers") is fixed before any system was scored on it: 70 % of profiles text only (20 %
structured, 10 % occupation only), twice the sibling workers per job, and siblings are
distractors rather than matches — a job order asks for one occupation:
  3 — same ESCO occupation and ≥ half of the job's required skills;
  2 — same ESCO occupation (fewer skills);
  1 — a sibling occupation (same ISCO-08 unit group), or a second occupation in that group;
  0 — otherwise (a related minor group included).
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

from registry.vocab import Gender
from training.synthetic import make_worker, occupation_pool
from training.synthetic_text import load_profile_vocab, spoken_title

# Every worker is eligible (the benchmark measures ranking, not filtering).
MALE: Gender = "male"


# How profiles are recorded: (text only, occupation only) shares; the rest is structured.
RECORDED = {"standard": (0.5, 0.1), "hard": (0.7, 0.1)}


def build(tax: Any, data_dir: Path, *, seed: int, n_jobs: int, per_job: int, siblings: int,
          related: int, background: int, today: dt.date, text_only: float = 0.5,
          occupation_only: float = 0.1) -> tuple[list[dict], list[dict], list[dict]]:
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
        if roll < text_only:
            w["skills"], w["experience"] = [], []
            truths[-1]["recorded"] = "text only"
        elif roll < text_only + occupation_only:
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


def relevance(truth: dict, job: dict, job_isco: str, *, hard: bool = False) -> int:
    """Return the graded relevance of a worker (by their true profile) for a job."""
    req = job["required_skills"]
    half = sum(1 for s in req if s in truth["skills"]) * 2 >= len(req)
    if truth["occupation_uri"] == job["occupation_uri"]:
        return 3 if half else 2
    if hard:
        in_group = (truth["isco_group"] == job_isco
                    or job_isco in truth.get("other_groups", ()))
        return 1 if in_group else 0
    if truth["isco_group"] == job_isco:
        return 2
    if truth["isco_group"][:3] == job_isco[:3] or job_isco in truth.get("other_groups", ()):
        return 1
    return 0
