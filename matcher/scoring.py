"""Hybrid score of a worker for a job order (or a job order for a worker), with its parts.

score = Σ weight_i · part_i, every part in [0, 1]:
- keyword:    BM25 score of the pair, divided by the best BM25 score in the candidate pool
- embedding:  cosine of the two texts' embeddings, rescaled from [0.1, 0.8] to [0, 1]
- skills:     share of the job's required skills the worker has (optional skills count half);
              for a worker with no recorded skills whose occupation was inferred from free text
              (confidence < 1), the share the inferred occupation's essential ESCO skills cover,
              times that confidence (best entry) — unknown skills are not scored as absent
- occupation: 1 same ESCO occupation, 0.75 same ISCO unit group, 0.4 same minor group,
              0.15 same sub-major group, else 0 (best over the worker's experience)
- experience: years in the matched occupation, saturating at 5 years, times occupation part
The weights are hand-set (documented defaults); the training issue's re-ranker may replace them.
Protected attributes (gender, religion, district) are never inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

DEFAULT_WEIGHTS: dict[str, float] = {
    "keyword": 0.15,
    "embedding": 0.25,
    "skills": 0.30,
    "occupation": 0.20,
    "experience": 0.10,
}
EXPERIENCE_SATURATION_YEARS = 5.0


@dataclass(frozen=True, slots=True)
class Experience:
    """Years of work in one ESCO occupation."""

    occupation_uri: str
    isco_group: str
    years: float
    confidence: float = 1.0  # < 1 when inferred from free text (matcher.profile)


@dataclass(slots=True)
class ScoredMatch:
    """One ranked pair with its total, parts and explanation."""

    id: int
    score: float
    parts: dict[str, float]
    matched_skills: list[str] = field(default_factory=list)
    missing_skills: list[str] = field(default_factory=list)


def occupation_similarity(a_uri: str | None, a_isco: str, b_uri: str | None, b_isco: str) -> float:
    """Return how close two occupations are through ESCO and the ISCO-08 hierarchy."""
    if a_uri and b_uri and a_uri == b_uri:
        return 1.0
    if not a_isco or not b_isco:
        return 0.0
    for digits, value in ((4, 0.75), (3, 0.4), (2, 0.15)):
        if len(a_isco) >= digits and a_isco[:digits] == b_isco[:digits]:
            return value
    return 0.0


def best_experience(job_uri: str | None, job_isco: str,
                    experience: Iterable[Experience]) -> tuple[float, float]:
    """Return (occupation part, experience part) for the best-matching experience entry."""
    best_occ, best_exp = 0.0, 0.0
    for e in experience:
        occ = e.confidence * occupation_similarity(job_uri, job_isco, e.occupation_uri,
                                                   e.isco_group)
        exp = occ * min(e.years / EXPERIENCE_SATURATION_YEARS, 1.0)
        if (occ, exp) > (best_occ, best_exp):
            best_occ, best_exp = occ, exp
    return best_occ, best_exp


def skill_coverage(required: Sequence[str], optional: Sequence[str],
                   have: Iterable[str]) -> tuple[float, list[str], list[str]]:
    """Return (coverage, matched, missing required) for a job's skills against a worker's."""
    have_set = set(have)
    matched = [s for s in required if s in have_set] + [s for s in optional if s in have_set]
    missing = [s for s in required if s not in have_set]
    denom = len(required) + 0.5 * len(optional)
    if denom == 0:
        return 0.0, matched, missing
    got = (sum(1 for s in required if s in have_set)
           + 0.5 * sum(1 for s in optional if s in have_set))
    return got / denom, matched, missing


def inferred_skill_coverage(required: Sequence[str], optional: Sequence[str],
                            experience: Iterable[Experience],
                            occupation_skills: Mapping[str, Iterable[str]]) -> float:
    """Skills part of a worker with no recorded skills, from occupations inferred from text.

    Best over the inferred entries (confidence < 1) of confidence × the coverage of the job's
    skills by the occupation's essential skills. Declared experience (confidence 1) gets
    nothing here: a worker who states an occupation but lists no skills is not credited with
    all of the occupation's skills.
    """
    best = 0.0
    for e in experience:
        if e.confidence >= 1.0:
            continue
        ess = occupation_skills.get(e.occupation_uri)
        if not ess:
            continue
        cov = e.confidence * skill_coverage(required, optional, ess)[0]
        if cov > best:
            best = cov
    return best


def rescale_cosine(cos: float, lo: float = 0.1, hi: float = 0.8) -> float:
    """Map a MiniLM cosine to [0, 1] (unrelated texts sit near 0.1, paraphrases above 0.8)."""
    return min(max((cos - lo) / (hi - lo), 0.0), 1.0)


def combine(parts: dict[str, float], weights: dict[str, float] | None = None) -> float:
    """Return the weighted sum of the score parts."""
    w = weights or DEFAULT_WEIGHTS
    return float(sum(w[k] * parts.get(k, 0.0) for k in w))


def score_pair(*, bm25: float, bm25_max: float, cosine: float,
               job_required: Sequence[str], job_optional: Sequence[str], job_uri: str | None,
               job_isco: str, worker_skills: Iterable[str], worker_experience: Iterable[Experience],
               weights: dict[str, float] | None = None,
               occupation_skills: Mapping[str, Iterable[str]] | None = None
               ) -> tuple[float, dict[str, float], list[str], list[str]]:
    """Score one job/worker pair; return (score, parts, matched skills, missing skills).

    :param occupation_skills: occupation URI → essential skills (``Taxonomy.essential``); with
        it, a worker without recorded skills is scored on the inferred occupations' skills
        (see :func:`inferred_skill_coverage`). Matched/missing stay the recorded skills'.
    """
    worker_skills = list(worker_skills)
    worker_experience = list(worker_experience)
    coverage, matched, missing = skill_coverage(job_required, job_optional, worker_skills)
    if not worker_skills and occupation_skills is not None:
        coverage = inferred_skill_coverage(job_required, job_optional, worker_experience,
                                           occupation_skills)
    occ, exp = best_experience(job_uri, job_isco, worker_experience)
    parts = {
        "keyword": (bm25 / bm25_max) if bm25_max > 0 else 0.0,
        "embedding": rescale_cosine(cosine),
        "skills": coverage,
        "occupation": occ,
        "experience": exp,
    }
    parts = {k: round(float(v), 4) for k, v in parts.items()}
    return combine(parts, weights), parts, matched, missing


def score_many(*, bm25: Sequence[float], bm25_max: float, cosine: Sequence[float],
               job_required: Sequence[str], job_optional: Sequence[str], job_uri: str | None,
               job_isco: str, worker_skills: Sequence[Iterable[str]],
               worker_experience: Sequence[Iterable[Mapping[str, Any]]],
               weights: dict[str, float] | None = None,
               occupation_skills: Mapping[str, Iterable[str]] | None = None
               ) -> tuple[list[float], list[dict[str, float]]]:
    """Score many workers against one job; return (totals, parts), equal to :func:`score_pair`.

    The same arithmetic as :func:`score_pair` in the same order (so the same floats), without
    its per-pair overhead: the job's skill multiplicities and the occupation similarity of each
    distinct (uri, ISCO group) are computed once per job, and the matched/missing skill lists
    are left to the caller for the few pairs it shows (:func:`skill_coverage`).

    :param worker_experience: per worker, entries with ``occupation_uri``, ``years`` and
        optionally ``isco_group`` (default "") and ``confidence`` (default 1.0) — the indexed
        payload's form.
    :param occupation_skills: as for :func:`score_pair`.
    """
    w = weights or DEFAULT_WEIGHTS
    wk = list(w.items())
    standard = list(w) == list(DEFAULT_WEIGHTS)
    w_kw, w_emb, w_sk, w_occ, w_exp = (w[k] for k in DEFAULT_WEIGHTS) if standard else (0,) * 5
    req_set, opt_set = set(job_required), set(job_optional)
    # Without repeated skills a set intersection counts them; otherwise count multiplicities.
    plain = len(req_set) == len(job_required) and len(opt_set) == len(job_optional)
    req_mult: dict[str, int] = {}
    for s in job_required:
        req_mult[s] = req_mult.get(s, 0) + 1
    opt_mult: dict[str, int] = {}
    for s in job_optional:
        opt_mult[s] = opt_mult.get(s, 0) + 1
    denom = len(job_required) + 0.5 * len(job_optional)
    occ_cache: dict[tuple[Any, str], float] = {}
    lo, span = 0.1, 0.8 - 0.1
    inferred_cov: dict[str, float] = {}  # occupation → coverage of the job by its essentials
    totals: list[float] = []
    all_parts: list[dict[str, float]] = []
    for b, c, have, exps in zip(bm25, cosine, worker_skills, worker_experience, strict=True):
        if denom == 0:
            coverage = 0.0
        elif plain:
            have_set = have if isinstance(have, set | frozenset) else set(have)
            coverage = (len(req_set & have_set) + 0.5 * len(opt_set & have_set)) / denom
        else:
            n_req = n_opt = 0
            for s in set(have):
                n_req += req_mult.get(s, 0)
                n_opt += opt_mult.get(s, 0)
            coverage = (n_req + 0.5 * n_opt) / denom
        if not have and occupation_skills is not None:
            # the same products and comparisons as inferred_skill_coverage
            coverage = 0.0
            for e in exps:
                conf = e.get("confidence", 1.0)
                if conf >= 1.0:
                    continue
                uri = e["occupation_uri"]
                base = inferred_cov.get(uri)
                if base is None:
                    ess = occupation_skills.get(uri)
                    base = skill_coverage(job_required, job_optional, ess)[0] if ess else -1.0
                    inferred_cov[uri] = base
                if base < 0:
                    continue
                cov = conf * base
                if cov > coverage:
                    coverage = cov
        best_occ, best_exp = 0.0, 0.0
        for e in exps:
            uri, isco = e["occupation_uri"], e.get("isco_group", "")
            sim = occ_cache.get((uri, isco))
            if sim is None:
                sim = occupation_similarity(job_uri, job_isco, uri, isco)
                occ_cache[(uri, isco)] = sim
            occ = e.get("confidence", 1.0) * sim
            exp = occ * min(e["years"] / EXPERIENCE_SATURATION_YEARS, 1.0)
            if (occ, exp) > (best_occ, best_exp):
                best_occ, best_exp = occ, exp
        p_kw = round(float((b / bm25_max) if bm25_max > 0 else 0.0), 4)
        p_emb = round(float(min(max((c - lo) / span, 0.0), 1.0)), 4)
        p_sk = round(float(coverage), 4)
        p_occ = round(float(best_occ), 4)
        p_exp = round(float(best_exp), 4)
        parts = {"keyword": p_kw, "embedding": p_emb, "skills": p_sk, "occupation": p_occ,
                 "experience": p_exp}
        if standard:  # the same additions, in the same order, as combine()
            totals.append(w_kw * p_kw + w_emb * p_emb + w_sk * p_sk + w_occ * p_occ
                          + w_exp * p_exp)
        else:
            totals.append(float(sum(v * parts.get(k, 0.0) for k, v in wk)))
        all_parts.append(parts)
    return totals, all_parts
