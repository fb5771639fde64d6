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
# MiniLM cosines: unrelated texts sit near COSINE_LO, paraphrases above COSINE_HI.
COSINE_LO, COSINE_HI = 0.1, 0.8


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
    return _best_experience(job_uri, job_isco, _entries(experience), {})


def _entries(experience: Iterable[Experience]) -> list[dict[str, Any]]:
    """Experience in the indexed payload's form, which :func:`score_many` reads."""
    return [{"occupation_uri": e.occupation_uri, "isco_group": e.isco_group, "years": e.years,
             "confidence": e.confidence} for e in experience]


def _best_experience(job_uri: str | None, job_isco: str, entries: Iterable[Mapping[str, Any]],
                     similarity: dict[tuple[str, str], float]) -> tuple[float, float]:
    """:func:`best_experience` over payload entries.

    :param similarity: a per-job cache of :func:`occupation_similarity` by ``(uri, isco)``.
    """
    best_occ, best_exp = 0.0, 0.0
    for e in entries:
        uri, isco = e["occupation_uri"], e.get("isco_group", "")
        sim = similarity.get((uri, isco))
        if sim is None:
            sim = similarity[(uri, isco)] = occupation_similarity(job_uri, job_isco, uri, isco)
        occ = e.get("confidence", 1.0) * sim
        exp = occ * min(e["years"] / EXPERIENCE_SATURATION_YEARS, 1.0)
        if (occ, exp) > (best_occ, best_exp):
            best_occ, best_exp = occ, exp
    return best_occ, best_exp


class JobSkills:
    """A job's required and optional skills, prepared once to measure many workers' coverage.

    Coverage = (required skills held + ½ optional skills held) / (required + ½ optional), a
    skill listed twice counting twice.
    """

    __slots__ = ("required", "optional", "_req", "_opt", "_plain", "_req_n", "_opt_n", "denom")

    def __init__(self, required: Sequence[str], optional: Sequence[str]) -> None:
        self.required, self.optional = list(required), list(optional)
        self._req, self._opt = set(required), set(optional)
        # Without repeated skills a set intersection counts them; otherwise count multiplicities.
        self._plain = len(self._req) == len(required) and len(self._opt) == len(optional)
        self._req_n: dict[str, int] = {}
        for s in required:
            self._req_n[s] = self._req_n.get(s, 0) + 1
        self._opt_n: dict[str, int] = {}
        for s in optional:
            self._opt_n[s] = self._opt_n.get(s, 0) + 1
        self.denom = len(required) + 0.5 * len(optional)

    def coverage(self, have: Iterable[str]) -> float:
        """Return the share of the job's skills in ``have`` (0 for a job with no skills)."""
        if self.denom == 0:
            return 0.0
        if self._plain:
            have_set = have if isinstance(have, set | frozenset) else set(have)
            return (len(self._req & have_set) + 0.5 * len(self._opt & have_set)) / self.denom
        n_req = n_opt = 0
        for s in set(have):
            n_req += self._req_n.get(s, 0)
            n_opt += self._opt_n.get(s, 0)
        return (n_req + 0.5 * n_opt) / self.denom

    def explain(self, have: Iterable[str]) -> tuple[list[str], list[str]]:
        """Return (matched skills, missing required skills) of a worker who holds ``have``."""
        have_set = set(have)
        matched = ([s for s in self.required if s in have_set]
                   + [s for s in self.optional if s in have_set])
        return matched, [s for s in self.required if s not in have_set]


def skill_coverage(required: Sequence[str], optional: Sequence[str],
                   have: Iterable[str]) -> tuple[float, list[str], list[str]]:
    """Return (coverage, matched, missing required) for a job's skills against a worker's."""
    job = JobSkills(required, optional)
    have = list(have)
    return (job.coverage(have), *job.explain(have))


def inferred_skill_coverage(required: Sequence[str], optional: Sequence[str],
                            experience: Iterable[Experience],
                            occupation_skills: Mapping[str, Iterable[str]]) -> float:
    """Skills part of a worker with no recorded skills, from occupations inferred from text.

    Best over the inferred entries (confidence < 1) of confidence × the coverage of the job's
    skills by the occupation's essential skills. Declared experience (confidence 1) gets
    nothing here: a worker who states an occupation but lists no skills is not credited with
    all of the occupation's skills.
    """
    return _inferred_coverage(JobSkills(required, optional), _entries(experience),
                              occupation_skills, {})


def _inferred_coverage(job: JobSkills, entries: Iterable[Mapping[str, Any]],
                       occupation_skills: Mapping[str, Iterable[str]],
                       cache: dict[str, float]) -> float:
    """:func:`inferred_skill_coverage` over payload entries.

    :param cache: a per-job cache of occupation URI → coverage by its essentials (-1: none).
    """
    best = 0.0
    for e in entries:
        confidence = e.get("confidence", 1.0)
        if confidence >= 1.0:
            continue
        uri = e["occupation_uri"]
        base = cache.get(uri)
        if base is None:
            ess = occupation_skills.get(uri)
            base = cache[uri] = job.coverage(ess) if ess else -1.0
        if base < 0:
            continue
        cov = confidence * base
        if cov > best:
            best = cov
    return best


def rescale_cosine(cos: float, lo: float = COSINE_LO, hi: float = COSINE_HI) -> float:
    """Map a MiniLM cosine to [0, 1] (unrelated texts sit near 0.1, paraphrases above 0.8)."""
    return min(max((cos - lo) / (hi - lo), 0.0), 1.0)


def combine(parts: Mapping[str, float], weights: Mapping[str, float] | None = None) -> float:
    """Return the weighted sum of the score parts (in the weights' order)."""
    return _weighted(parts, list((weights or DEFAULT_WEIGHTS).items()))


def _weighted(parts: Mapping[str, float], weights: Sequence[tuple[str, float]]) -> float:
    total = 0.0
    for k, v in weights:
        total += v * parts.get(k, 0.0)
    return total


def score_pair(*, bm25: float, bm25_max: float, cosine: float,
               job_required: Sequence[str], job_optional: Sequence[str], job_uri: str | None,
               job_isco: str, worker_skills: Iterable[str], worker_experience: Iterable[Experience],
               weights: Mapping[str, float] | None = None,
               occupation_skills: Mapping[str, Iterable[str]] | None = None
               ) -> tuple[float, dict[str, float], list[str], list[str]]:
    """Score one job/worker pair; return (score, parts, matched skills, missing skills).

    :func:`score_many` of one worker, plus the matched and missing skill lists.

    :param occupation_skills: occupation URI → essential skills (``Taxonomy.essential``); with
        it, a worker without recorded skills is scored on the inferred occupations' skills
        (see :func:`inferred_skill_coverage`). Matched/missing stay the recorded skills'.
    """
    skills = list(worker_skills)
    totals, parts = score_many(bm25=[bm25], bm25_max=bm25_max, cosine=[cosine],
                               job_required=job_required, job_optional=job_optional,
                               job_uri=job_uri, job_isco=job_isco, worker_skills=[skills],
                               worker_experience=[_entries(worker_experience)], weights=weights,
                               occupation_skills=occupation_skills)
    matched, missing = JobSkills(job_required, job_optional).explain(skills)
    return totals[0], parts[0], matched, missing


def score_many(*, bm25: Sequence[float], bm25_max: float, cosine: Sequence[float],
               job_required: Sequence[str], job_optional: Sequence[str], job_uri: str | None,
               job_isco: str, worker_skills: Sequence[Iterable[str]],
               worker_experience: Sequence[Iterable[Mapping[str, Any]]],
               weights: Mapping[str, float] | None = None,
               occupation_skills: Mapping[str, Iterable[str]] | None = None
               ) -> tuple[list[float], list[dict[str, float]]]:
    """Score many workers against one job; return (totals, parts), one per worker.

    The job's skills and the occupation similarity of each distinct (uri, ISCO group) are
    prepared once per job; the matched/missing skill lists are left to the caller for the few
    pairs it shows (:meth:`JobSkills.explain`).

    :param worker_experience: per worker, entries with ``occupation_uri``, ``years`` and
        optionally ``isco_group`` (default "") and ``confidence`` (default 1.0) — the indexed
        payload's form (``matcher.inputs.ExperienceEntry``).
    :param occupation_skills: occupation URI → essential skills (``Taxonomy.essential``); with
        it, a worker without recorded skills is scored on the inferred occupations' skills.
    """
    w = list((weights or DEFAULT_WEIGHTS).items())
    job = JobSkills(job_required, job_optional)
    similarity: dict[tuple[str, str], float] = {}
    inferred: dict[str, float] = {}
    totals: list[float] = []
    all_parts: list[dict[str, float]] = []
    for b, c, have, exps in zip(bm25, cosine, worker_skills, worker_experience, strict=True):
        coverage = job.coverage(have)
        if not have and occupation_skills is not None:
            coverage = _inferred_coverage(job, exps, occupation_skills, inferred)
        occ, exp = _best_experience(job_uri, job_isco, exps, similarity)
        parts = {
            "keyword": round(float((b / bm25_max) if bm25_max > 0 else 0.0), 4),
            "embedding": round(float(rescale_cosine(c)), 4),
            "skills": round(float(coverage), 4),
            "occupation": round(float(occ), 4),
            "experience": round(float(exp), 4),
        }
        totals.append(_weighted(parts, w))
        all_parts.append(parts)
    return totals, all_parts
