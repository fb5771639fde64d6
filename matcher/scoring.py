"""Hybrid score of a worker for a job order (or a job order for a worker), with its parts.

score = Σ weight_i · part_i, every part in [0, 1]:
- keyword:    BM25 score of the pair, divided by the best BM25 score in the candidate pool
- embedding:  cosine of the two texts' embeddings, rescaled from [0.1, 0.8] to [0, 1]
- skills:     share of the job's required skills the worker has (optional skills count half)
- occupation: 1 same ESCO occupation, 0.75 same ISCO unit group, 0.4 same minor group,
              0.15 same sub-major group, else 0 (best over the worker's experience)
- experience: years in the matched occupation, saturating at 5 years, times occupation part
The weights are hand-set (documented defaults); the training issue's re-ranker may replace them.
Protected attributes (gender, religion, district) are never inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

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
               weights: dict[str, float] | None = None) -> tuple[float, dict[str, float],
                                                                  list[str], list[str]]:
    """Score one job/worker pair; return (score, parts, matched skills, missing skills)."""
    coverage, matched, missing = skill_coverage(job_required, job_optional, worker_skills)
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
