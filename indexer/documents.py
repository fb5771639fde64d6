"""Search documents built from registry records: what is searchable, filterable and shown.

Identity numbers (passport, phone, NID) and names never enter a document. Protected attributes
stay out of the ranking text; gender is a filter field only because a legal rule may need it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from indexer.protocol import Document, IndexSchema
from matcher.taxonomy import Taxonomy
from registry.compliance import job_is_matchable
from registry.models import JobOrder, Worker

WORKERS = "workers"
JOBS = "jobs"
FAR_PAST = dt.date(1900, 1, 1)

WORKER_FIELDS: dict[str, Any] = {
    "date_of_birth": "date",
    "female_dob_cap": "date",  # dob for women, 1900-01-01 for men: the 25+ domestic-work rule
    "gender": "keyword",
    "passport_expiry": "date",
    "medical_fit": "bool",
    "ntvqf_level": "int",
    "languages": "keywords",
    "bmet_registered": "bool",
    "consent": "bool",
}

JOB_FIELDS: dict[str, Any] = {
    "status": "keyword",
    "matchable": "bool",
    "destination": "keyword",
    "agency_id": "int",
    "deadline": "date",
    "min_age": "int",
    "max_age": "int",
    "required_ntvqf_level": "int",
}


def worker_schema(dim: int) -> IndexSchema:
    """Return the workers index schema."""
    return IndexSchema(WORKERS, WORKER_FIELDS, dim)


def job_schema(dim: int) -> IndexSchema:
    """Return the job orders index schema."""
    return IndexSchema(JOBS, JOB_FIELDS, dim)


def worker_text(w: Worker, tax: Taxonomy) -> str:
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


def job_text(j: JobOrder, tax: Taxonomy) -> str:
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


def worker_document(w: Worker, tax: Taxonomy, vector: Any) -> Document:
    """Build the workers-index document for one worker."""
    experience = []
    for e in w.experience or []:
        occ = tax.occupations.get(e.get("occupation_uri", ""))
        experience.append({"occupation_uri": e.get("occupation_uri"),
                           "isco_group": occ.isco_group if occ else "",
                           "years": float(e.get("years", 0) or 0)})
    fields = {
        "date_of_birth": w.date_of_birth.isoformat(),
        "female_dob_cap": (w.date_of_birth if w.gender == "female" else FAR_PAST).isoformat(),
        "gender": w.gender,
        "passport_expiry": w.passport_expiry.isoformat() if w.passport_expiry else None,
        "medical_fit": bool(w.medical_fit),
        "ntvqf_level": int(w.ntvqf_level or 0),
        "languages": list(w.languages or []),
        "bmet_registered": bool(w.bmet_registration),
        "consent": bool(w.consent),
    }
    payload = {"skills": list(w.skills or []), "experience": experience}
    return Document(id=w.id, version=w.version, text=worker_text(w, tax), vector=vector,
                    fields=fields, payload=payload)


def job_document(j: JobOrder, tax: Taxonomy, vector: Any, today: dt.date) -> Document:
    """Build the jobs-index document for one job order."""
    occ = tax.occupations.get(j.occupation_uri or "")
    fields = {
        "status": j.status,
        "matchable": job_is_matchable(j, today),
        "destination": j.destination,
        "agency_id": j.agency_id,
        "deadline": j.deadline.isoformat(),
        "min_age": j.min_age,
        "max_age": j.max_age,
        "required_ntvqf_level": j.required_ntvqf_level,
    }
    payload = {"occupation_uri": j.occupation_uri, "isco_group": occ.isco_group if occ else "",
               "required_skills": list(j.required_skills or []),
               "optional_skills": list(j.optional_skills or []), "title": j.title}
    return Document(id=j.id, version=j.version, text=job_text(j, tax), vector=vector,
                    fields=fields, payload=payload)
