"""What the evaluations query with: every text that no training example may contain.

:func:`eval_texts` collects every text an evaluation task queries with: TalentCLEF queries (all
languages), the esco-altlabels leave-one-out sample (rebuilt exactly as
``training.eval_tasks.esco_altlabels`` draws it, default size; smaller ``--limit`` samples are
prefixes of it), SkillSpan spans, TechWolf titles and the Bangla set
(:func:`training.datasets.build_pairs` drops an example that contains one).
"""

from __future__ import annotations

import csv
import gzip
import json
import random
from pathlib import Path

from matcher.taxonomy import Taxonomy
from training.examples import norm

ESCO_ALT_SAMPLE = 2000  # training.eval_tasks.esco_altlabels draws this many pairs by default
EVAL_SEED = 13  # EvalContext.seed


def esco_altlabel_eval_queries(tax: Taxonomy, n: int = ESCO_ALT_SAMPLE,
                               seed: int = EVAL_SEED) -> list[str]:
    """Return the alt labels ``eval_tasks.esco_altlabels`` queries with (same order, same draw).

    The task enumerates occupations in taxonomy order and each occupation's alternative labels
    that differ from its preferred label, then draws ``n`` with ``random.Random(seed)``.
    """
    pairs = [alt for o in tax.occupations.values() for alt in o.alt_labels
             if alt.strip() and alt.strip().casefold() != o.label.casefold()]
    n = min(n, len(pairs))
    if n >= len(pairs):
        return pairs
    idx = sorted(random.Random(seed).sample(range(len(pairs)), n))
    return [pairs[i] for i in idx]


def _tsv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [r for r in csv.reader(fh, delimiter="\t") if r]


def talentclef_texts(data_dir: Path) -> tuple[set[str], set[str]]:
    """Return (queries, corpus titles) of TalentCLEF task A validation, every language."""
    queries, corpus = set(), set()
    base = Path(data_dir) / "eval" / "talentclef2025-task-a" / "validation"
    for d in sorted(base.glob("*")):
        if (d / "queries").exists():
            queries |= {norm(r[1]) for r in _tsv(d / "queries")[1:] if len(r) > 1}
        if (d / "corpus_elements").exists():
            corpus |= {norm(r[1]) for r in _tsv(d / "corpus_elements")[1:] if len(r) > 1}
    return queries, corpus


def eval_texts(data_dir: Path, tax: Taxonomy) -> tuple[set[str], set[str]]:
    """Return (texts no training example may contain, TalentCLEF corpus titles)."""
    data_dir = Path(data_dir)
    held: set[str] = set()
    tc_queries, tc_corpus = talentclef_texts(data_dir)
    held |= tc_queries
    held |= {norm(a) for a in esco_altlabel_eval_queries(tax)}
    for f in sorted((data_dir / "eval" / "skillspan-esco").glob("*_annotations.csv")):
        with open(f, encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                for k in ("span", "sub_span"):
                    if (r.get(k) or "").strip():
                        held.add(norm(r[k]))
    j2s = data_dir / "eval" / "techwolf-job2skill" / "job_skill_val.jsonl.gz"
    if j2s.exists():
        with gzip.open(j2s, "rt", encoding="utf-8") as fh:
            held |= {norm(json.loads(line)["title"]) for line in fh}
    from training.eval_tasks import read_bangla_set

    held |= {norm(q) for q, _, _ in read_bangla_set()}
    held.discard("")
    return held, tc_corpus
