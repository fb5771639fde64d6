"""Evaluation tasks: each compares Shetu with two baselines on the same data.

A task is a function ``task(ctx: EvalContext) -> TaskResult`` registered in :data:`TASKS`
(types in ``training.eval_context``): rows of ``{"dataset", "n", "metric", "systems": {"shetu",
"bm25", "minilm"}}``, notes, and the task's primary figure (``primary``: metric, data set and
Shetu's value).

Baselines (same data, same command): ``bm25`` = Okapi BM25 over ESCO labels (preferred +
alternative, best label per concept; for TalentCLEF, over the corpus titles), and ``minilm`` =
all-MiniLM-L6-v2 zero-shot, cosine to preferred labels (TalentCLEF: to the corpus titles).
Metrics: ``training.metrics``.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from matcher.bm25 import BM25Index, OverlapIndex
from matcher.job_skills import fuse_job_skills, occupation_skills, softmax_top
from matcher.normalise import ConceptRanker, translate_bangla
from matcher.vacancy_skills import VacancySkills
from training.eval_context import (
    EvalContext,
    Row,
    TaskResult,
    score_systems,
    task_result,
)

BANGLA_SET = Path(__file__).resolve().parent / "data" / "bangla_occupation_queries.tsv"
EXCLUDED_SKILL_LABELS = {"LABEL NOT PRESENT", "UNDERSPECIFIED"}
# Re-exported: tests and callers reach the context through this module.
__all__ = ["BANGLA_SET", "TASKS", "EvalContext", "TaskResult", "read_bangla_set"]


# --------------------------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------------------------


def _read_tsv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [r for r in csv.reader(fh, delimiter="\t") if r]


def _rows_of(m: np.ndarray) -> Callable[[int, int], np.ndarray]:
    """A system that answers a query slice with rows of a precomputed score matrix."""
    return lambda a, b: m[a:b]


TALENTCLEF_LANGS = ("english", "spanish", "german", "chinese")


def talentclef_a(ctx: EvalContext, langs: tuple[str, ...] = TALENTCLEF_LANGS) -> TaskResult:
    """TalentCLEF 2025 task A validation: job title → similar job titles (MAP, MRR, nDCG@10).

    Shetu = direct cosine + lexical overlap + an ESCO bridge: each title's distribution over its
    top ESCO occupations (from the occupation ranker); two titles are similar when they map to
    the same occupations.
    """
    rows: list[Row] = []
    base = ctx.eval_dir / "talentclef2025-task-a" / "validation"
    occ = ctx.occupations
    for lang in langs:
        d = base / lang
        if not d.exists():
            continue
        queries = [(r[0], r[1]) for r in _read_tsv(d / "queries")[1:]]
        corpus = [(r[0], r[1]) for r in _read_tsv(d / "corpus_elements")[1:]]
        cpos = {cid: i for i, (cid, _) in enumerate(corpus)}
        rel: dict[str, list[int]] = {}
        for r in _read_tsv(d / "qrels.tsv"):
            if len(r) >= 4 and r[3].strip() not in ("0", "") and r[2] in cpos:
                rel.setdefault(r[0], []).append(cpos[r[2]])
        queries = [q for q in queries if q[0] in rel]
        qrels = [rel[qid] for qid, _ in queries]
        qt = [t for _, t in queries]
        ct = [t for _, t in corpus]
        t0 = time.time()
        enc, benc = ctx.encoder, ctx.baseline_encoder
        qv, cv = enc.encode(qt), enc.encode(ct)
        bq, bc = (qv, cv) if enc is benc else (benc.encode(qt), benc.encode(ct))
        lex_index = OverlapIndex(ct)
        dc, qc, _ = lex_index.score(qt)
        lex = np.sqrt(dc * qc)
        qp = softmax_top(occ.score_matrix([occ.prepare(t) for t in qt]), 30, 0.1)
        cp = softmax_top(occ.score_matrix([occ.prepare(t) for t in ct]), 30, 0.1)
        qp /= np.linalg.norm(qp, axis=1, keepdims=True) + 1e-9
        cp /= np.linalg.norm(cp, axis=1, keepdims=True) + 1e-9
        shetu = 0.45 * (qv @ cv.T) + 0.45 * (qp @ cp.T) + 0.1 * lex
        bm25 = BM25Index(ct).score(qt)
        zero = bq @ bc.T
        systems = {name: _rows_of(m) for name, m in (("shetu", shetu), ("bm25", bm25),
                                                      ("minilm", zero))}
        rows += score_systems(systems, qrels, ("MAP", "MRR", "nDCG@10"),
                              f"TalentCLEF25-A val {lang[:2].upper()}")
        ctx.log(f"  talentclef-a {lang}: {len(qt)} queries, {len(ct)} titles, "
                f"{time.time() - t0:.0f}s")
    return task_result(rows, "BM25 and MiniLM rank the corpus titles directly.", "MAP",
                       "TalentCLEF25-A val EN")


def esco_altlabels(ctx: EvalContext) -> TaskResult:
    """ESCO alternative label → its occupation, leave-one-out (MRR@10, R@1, R@10).

    The query label is removed from its own occupation's label set (dense and lexical) before
    ranking; occupation description texts carry no alternative labels.
    """
    occ = ctx.occupations
    pairs = []
    for i, c in enumerate(occ.concepts):
        for alt in c.alt_labels:
            e = occ.entry_key.get((i, alt.strip().casefold()))
            if e is not None and alt.strip().casefold() != c.label.casefold():
                pairs.append((alt, i, e))
    pairs = ctx.sample(pairs, 2000)
    texts = [occ.prepare(a) for a, _, _ in pairs]
    qrels = [[i] for _, i, _ in pairs]
    exclude = [e for _, _, e in pairs]
    shetu = occ.score_matrix(texts, exclude=exclude)
    bm = ctx.label_bm25(occ).score(texts)
    zero = ctx.baseline_encoder.encode(texts) @ ctx.preferred_vectors(occ).T
    for r, e in enumerate(exclude):
        bm[r, e] = 0.0
    bm = np.maximum.reduceat(bm, occ.starts, axis=1)
    systems = {"shetu": lambda a, b: shetu[a:b], "bm25": lambda a, b: bm[a:b],
               "minilm": lambda a, b: zero[a:b]}
    rows = score_systems(systems, qrels, ("MRR@10", "R@1", "R@10"),
                         f"ESCO 1.1.1 alt labels (LOO, {len(pairs)} sampled)")
    return task_result(rows, "Sample seeded; the query label is left out of its occupation.",
                       "MRR@10")


def _skill_uris_by_label(ranker: ConceptRanker) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, c in enumerate(ranker.concepts):
        out.setdefault(c.label.casefold(), []).append(i)
    return out


def _skill_baselines(ctx: EvalContext, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    sk = ctx.skills
    bm = np.maximum.reduceat(ctx.label_bm25(sk).score(texts), sk.starts, axis=1)
    zero = ctx.baseline_encoder.encode(texts) @ ctx.preferred_vectors(sk).T
    return bm, zero


def skillspan(ctx: EvalContext) -> TaskResult:
    """SkillSpan spans (HOUSE + TECH, validation + test) → ESCO skill (MRR, R@5)."""
    sk = ctx.skills
    by_label = _skill_uris_by_label(sk)
    d = ctx.eval_dir / "skillspan-esco"
    spans, qrels = [], []
    for f in sorted(d.glob("*_annotations.csv")):
        with open(f, encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                label = r["label"].strip()
                if label in EXCLUDED_SKILL_LABELS or label.casefold() not in by_label:
                    continue
                spans.append((r.get("sub_span") or "").strip() or r["span"].strip())
                qrels.append(by_label[label.casefold()])
    idx = ctx.sample(list(range(len(spans))), 10**9)
    spans, qrels = [spans[i] for i in idx], [qrels[i] for i in idx]
    texts = [sk.prepare(s) for s in spans]
    shetu = sk.score_matrix(texts)
    bm, zero = _skill_baselines(ctx, texts)
    systems = {"shetu": lambda a, b: shetu[a:b], "bm25": lambda a, b: bm[a:b],
               "minilm": lambda a, b: zero[a:b]}
    rows = score_systems(systems, qrels, ("MRR", "R@5"), "SkillSpan→ESCO (house+tech, val+test)")
    return task_result(rows, "Spans labelled LABEL NOT PRESENT / UNDERSPECIFIED excluded.", "MRR")


JOB2SKILL_SAMPLE = 2000  # titles evaluated (seeded); dev and train splits are drawn from the rest
JOB2SKILL_DEV = 500


def job2skill_splits(n: int, seed: int) -> tuple[list[int], list[int], list[int]]:
    """Return (test, dev, train) title positions of the TechWolf set (``n`` usable titles).

    test = the seeded sample the task evaluates (:data:`JOB2SKILL_SAMPLE`, the same draw as
    ``EvalContext.sample`` at that size; a ``--limit`` run evaluates part of it,
    :func:`job2skill_evaluated`), dev = 500 of the rest
    (seed + 1, where fusion weights and k/T were chosen), train = everything else (what the
    vacancy evidence is fitted on). The three never share a title.
    """
    test = sorted(random.Random(seed).sample(range(n), min(n, JOB2SKILL_SAMPLE)))
    rest = sorted(set(range(n)) - set(test))
    dev = sorted(random.Random(seed + 1).sample(rest, min(len(rest), JOB2SKILL_DEV)))
    train = sorted(set(rest) - set(dev))
    return test, dev, train


def job2skill_evaluated(test: list[int], limit: int | None, seed: int) -> list[int]:
    """Return the test positions a run evaluates: all of ``test``, or a seeded ``limit`` of them.

    (``EvalContext.sample`` cannot be used for a ``--limit`` run: ``random.sample`` draws a small
    sample by another method than a large one, so its draw would not stay inside ``test``.)
    """
    if not limit or limit >= len(test):
        return test
    return sorted(random.Random(seed + 2).sample(test, limit))


def job2skill(ctx: EvalContext) -> TaskResult:
    """TechWolf vacancy titles → ESCO skills (MAP, nDCG@10; silver labels).

    Shetu = :func:`matcher.job_skills.fuse_job_skills`, the fusion skill suggestions use: what
    vacancies with similar titles ask for (``matcher.vacancy_skills``, fitted on the *train*
    split of the same file: titles neither evaluated nor used to choose weights), the skill
    ranker, the preferred labels and the title's ESCO occupations' skills; weights chosen on the
    dev split (``matcher.job_skills.WEIGHTS``).
    """
    sk, occ, tax = ctx.skills, ctx.occupations, ctx.taxonomy
    by_label = _skill_uris_by_label(sk)
    all_titles, all_qrels = [], []
    with gzip.open(ctx.eval_dir / "techwolf-job2skill" / "job_skill_val.jsonl.gz", "rt",
                   encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            rel = sorted({i for s in r["skills"] for i in by_label.get(s.casefold(), [])})
            if rel:
                all_titles.append(r["title"])
                all_qrels.append(rel)
    test, _dev, train = job2skill_splits(len(all_titles), ctx.seed)
    idx = job2skill_evaluated(test, ctx.limit, ctx.seed)
    titles, qrels = [all_titles[i] for i in idx], [all_qrels[i] for i in idx]
    texts = [sk.prepare(t) for t in titles]
    t0 = time.time()
    uris = [c.uri for c in sk.concepts]
    vacancies = VacancySkills.fit([sk.prepare(all_titles[i]) for i in train],
                                  [[uris[j] for j in all_qrels[i]] for i in train], sk.encoder,
                                  uris, source="techwolf-job2skill train split")
    ctx.log(f"  job2skill: vacancy evidence from {vacancies.size} train titles "
            f"({time.time() - t0:.0f}s)")
    o2s = occupation_skills(occ, sk, tax)
    bm, zero = _skill_baselines(ctx, texts)

    def shetu_block(a: int, b: int) -> np.ndarray:
        occ_scores = occ.score_matrix([occ.prepare(t) for t in titles[a:b]])
        return fuse_job_skills(texts[a:b], sk.score_matrix(texts[a:b]), occ_scores, sk, o2s,
                               vacancies)

    systems = {"shetu": shetu_block, "bm25": lambda a, b: bm[a:b], "minilm": lambda a, b: zero[a:b]}
    rows = score_systems(systems, qrels, ("MAP", "nDCG@10"),
                         f"TechWolf job→skills val ({len(titles)} titles sampled)")
    return task_result(rows, f"Silver labels (model-extracted); sample seeded. Shetu's vacancy "
                       f"evidence is fitted on the {vacancies.size} titles of the same file "
                       f"that are neither evaluated nor in the 500-title dev split.", "MAP")


def read_bangla_set(path: Path = BANGLA_SET) -> list[tuple[str, list[str], str]]:
    """Return ``(query, expected occupation URIs, trade)`` rows of the Bangla test set."""
    out = []
    for r in _read_tsv(path):
        if r[0].startswith("#") or r[0] == "query":
            continue
        out.append((r[0], [u.strip() for u in r[1].split("|") if u.strip()], r[2] if len(r) > 2
                    else ""))
    return out


def bangla(ctx: EvalContext) -> TaskResult:
    """Bangla self-descriptions of common migrant trades → ESCO occupation (R@10, MRR@10)."""
    occ = ctx.occupations
    rows_ = read_bangla_set()
    qrels = [[occ.uri_index[u] for u in uris if u in occ.uri_index] for _, uris, _ in rows_]
    raw = [q for q, _, _ in rows_]
    shetu = occ.score_matrix([occ.prepare(q, "bn") for q in raw])
    bm = np.maximum.reduceat(ctx.label_bm25(occ).score(raw), occ.starts, axis=1)
    zero = ctx.baseline_encoder.encode(raw) @ ctx.preferred_vectors(occ).T
    systems = {"shetu": lambda a, b: shetu[a:b], "bm25": lambda a, b: bm[a:b],
               "minilm": lambda a, b: zero[a:b]}
    rows = score_systems(systems, qrels, ("R@10", "MRR@10"),
                         f"Bangla trade self-descriptions ({len(raw)}, in repo)")
    hits = sum(1 for q in raw if translate_bangla(q))
    return task_result(rows, f"Lexicon translated {hits}/{len(raw)} queries; baselines get the "
                       "raw Bangla text.", "R@10")


TASKS: dict[str, Callable[[EvalContext], TaskResult]] = {
    "talentclef-a": talentclef_a,
    "esco-altlabels": esco_altlabels,
    "skillspan": skillspan,
    "job2skill": job2skill,
    "bangla": bangla,
}

# The end-to-end ``candidates`` task drives an index, so it lives in indexer.eval_candidates,
# whose EVAL_TASKS (these and it) is what ``shetu eval`` runs.
