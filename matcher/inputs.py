"""The one place that turns registry records into matcher inputs.

A worker or a job order reaches the matcher as facts for the eligibility rules
(:func:`worker_facts`, :func:`job_facts`), as searchable text (:func:`worker_text`,
:func:`job_text`), as experience entries (:func:`record_experience` from a record,
:func:`payload_experience` from the indexed payload) and, for a job, as the skills it requires
(:func:`required_skills`, which falls back to the occupation's essential ESCO skills).

The record shapes are typed :class:`WorkerRecord` and :class:`JobRecord` protocols, so the
matcher reads ``registry.models.Worker``/``JobOrder`` (or anything with the same attributes)
without importing the registry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NotRequired, Protocol, TypedDict

from matcher.eligibility import JobFacts, WorkerFacts
from matcher.scoring import Experience, score_many
from matcher.taxonomy import Taxonomy

# At most this many of the occupation's essential skills stand in for a job order's required
# skills when the officer recorded none.
MAX_REQUIRED_FROM_ESCO = 15


class WorkerRecord(Protocol):
    """What the matcher reads of a worker (``registry.models.Worker``); no identity fields."""

    date_of_birth: dt.date
    gender: str
    passport_expiry: dt.date | None
    medical_fit: bool
    ntvqf_level: int
    languages: list[Any]
    bmet_registration: str | None
    skills: list[Any]
    experience: list[Any]  # [{"occupation_uri": str, "years": float, ...}]
    certificates: list[Any]
    self_description: str


class JobRecord(Protocol):
    """What the matcher reads of a job order (``registry.models.JobOrder``)."""

    title: str
    description: str
    occupation_uri: str | None
    required_skills: list[Any]
    optional_skills: list[Any]
    deadline: dt.date
    min_age: int
    max_age: int
    gender_rule: str | None
    domestic_work: bool
    medical_required: bool
    required_ntvqf_level: int
    languages: list[Any]


class IndexedWorker(Protocol):
    """A workers-index hit as the matcher reads it (``indexer.protocol.Hit``)."""

    keyword_score: float
    vector_score: float
    payload: dict[str, Any]


class ExperienceEntry(TypedDict):
    """One experience entry as the workers index stores it (the payload's form)."""

    occupation_uri: str
    years: float
    isco_group: NotRequired[str]
    confidence: NotRequired[float]  # < 1 when inferred from free text (matcher.profile)


def job_facts(job: JobRecord) -> JobFacts:
    """Return the eligibility facts of a job order."""
    return JobFacts(deadline=job.deadline, min_age=job.min_age, max_age=job.max_age,
                    gender_rule=job.gender_rule, domestic_work=job.domestic_work,
                    medical_required=job.medical_required,
                    required_ntvqf_level=job.required_ntvqf_level,
                    languages=tuple(job.languages or ()))


def worker_facts(w: WorkerRecord) -> WorkerFacts:
    """Return the eligibility facts of a worker."""
    return WorkerFacts(date_of_birth=w.date_of_birth, gender=w.gender,
                       passport_expiry=w.passport_expiry, medical_fit=w.medical_fit,
                       ntvqf_level=w.ntvqf_level, languages=tuple(w.languages or ()),
                       bmet_registered=bool(w.bmet_registration))


def required_skills(job: JobRecord, essential: Mapping[str, Iterable[str]]
                    ) -> tuple[list[str], list[str]]:
    """Return the job's (required, optional) skills; required ones fall back to ESCO's.

    :param essential: occupation URI → essential skill URIs (``Taxonomy.essential``); with no
        required skills recorded, the first :data:`MAX_REQUIRED_FROM_ESCO` essential skills of
        the job's occupation are required.
    """
    req = list(job.required_skills or [])
    opt = list(job.optional_skills or [])
    if not req and job.occupation_uri:
        req = list(essential.get(job.occupation_uri, ()))[:MAX_REQUIRED_FROM_ESCO]
    return req, opt


def record_experience(w: WorkerRecord, tax: Taxonomy) -> list[Experience]:
    """Return the experience a worker recorded, with each occupation's ISCO-08 unit group.

    Entries are declared (confidence 1); years missing or empty count as 0.
    """
    out = []
    for e in w.experience or []:
        uri = e.get("occupation_uri") or ""
        occ = tax.occupations.get(uri)
        out.append(Experience(uri, occ.isco_group if occ else "", float(e.get("years", 0) or 0)))
    return out


def experience_payload(experience: Iterable[Experience]) -> list[ExperienceEntry]:
    """Return declared experience in the index payload's form (see :func:`payload_experience`)."""
    return [{"occupation_uri": e.occupation_uri, "isco_group": e.isco_group, "years": e.years}
            for e in experience]


def payload_experience(entries: Iterable[Mapping[str, Any]]) -> list[Experience]:
    """Return the experience entries of an indexed payload (declared or inferred)."""
    return [Experience(e["occupation_uri"], e.get("isco_group", ""), float(e.get("years", 0)),
                       e.get("confidence", 1.0)) for e in entries]


def worker_text(w: WorkerRecord, tax: Taxonomy) -> str:
    """Return the worker's searchable text: occupations, skills, certificates, own words."""
    parts = []
    for e in w.experience or []:
        occ = tax.occupations.get(e.get("occupation_uri", ""))
        if occ:
            parts.append(f"{occ.label} ({e.get('years', 0)} years)")
    skills = [tax.skill_label(s) for s in (w.skills or [])]
    if skills:
        parts.append("skills: " + ", ".join(skills))
    if w.certificates:
        parts.append("certificates: " + ", ".join(str(c) for c in w.certificates))
    if w.self_description:
        parts.append(w.self_description)
    return ". ".join(parts)


def job_text(j: JobRecord, tax: Taxonomy) -> str:
    """Return the job order's searchable text: title, occupation, skills, description."""
    parts = [j.title]
    occ = tax.occupations.get(j.occupation_uri or "")
    if occ:
        parts.append(occ.label)
    skills = [tax.skill_label(s) for s in (j.required_skills or [])]
    if skills:
        parts.append("skills: " + ", ".join(skills))
    if j.description:
        parts.append(j.description)
    return ". ".join(parts)


def job_isco(j: JobRecord, tax: Taxonomy) -> str:
    """Return the ISCO-08 unit group of the job's occupation ("" when it has none)."""
    occ = tax.occupations.get(j.occupation_uri or "")
    return occ.isco_group if occ else ""


def language_share(worker_languages: Sequence[str], job_languages: Sequence[str]) -> float:
    """Return the share of the job's languages the worker speaks (1 when none are required)."""
    langs = {x.casefold() for x in worker_languages}
    return (sum(1 for x in job_languages if x.casefold() in langs) / len(job_languages)
            if job_languages else 1.0)


def score_indexed_workers(hits: Sequence[IndexedWorker], bm25_max: float, job: JobRecord,
                          tax: Taxonomy, weights: Mapping[str, float] | None = None
                          ) -> tuple[list[float], list[dict[str, float]]]:
    """Score workers-index hits for a job from what the index holds: the keyword and vector
    legs' scores and the indexed payload (skills; experience declared or inferred from text).

    The one scoring path: serving (``indexer.ranking.rank_workers_for_job``) and the outcome
    re-ranker's training features (``training.reranker.outcome_table``) both call it.
    """
    req, opt = required_skills(job, tax.essential)
    return score_many(
        bm25=[h.keyword_score for h in hits], bm25_max=bm25_max,
        cosine=[h.vector_score for h in hits], job_required=req, job_optional=opt,
        job_uri=job.occupation_uri, job_isco=job_isco(job, tax),
        worker_skills=[h.payload.get("skills", ()) for h in hits],
        worker_experience=[h.payload.get("experience", ()) for h in hits], weights=weights,
        occupation_skills=tax.essential)
