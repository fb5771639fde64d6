"""Search documents built from registry records: what is searchable, filterable and shown.

Identity numbers (passport, phone, NID) and names never enter a document. Protected attributes
stay out of the ranking text; gender is a filter field only because a legal rule may need it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from indexer.protocol import Document, IndexSchema
from matcher.eligibility import FEMALE
from matcher.inputs import experience_payload, job_isco, job_text, record_experience, worker_text
from matcher.taxonomy import Taxonomy
from registry.compliance import job_is_matchable
from registry.models import JobOrder, Worker

# job_text and worker_text (the searchable text) are matcher.inputs'; imported here for callers.
__all__ = ["FAR_PAST", "JOBS", "JOB_FIELDS", "WORKERS", "WORKER_FIELDS", "job_document",
           "job_schema", "job_text", "worker_document", "worker_schema", "worker_text"]

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


def worker_document(w: Worker, tax: Taxonomy, vector: Any) -> Document:
    """Build the workers-index document for one worker."""
    fields = {
        "date_of_birth": w.date_of_birth.isoformat(),
        "female_dob_cap": (w.date_of_birth if w.gender == FEMALE else FAR_PAST).isoformat(),
        "gender": w.gender,
        "passport_expiry": w.passport_expiry.isoformat() if w.passport_expiry else None,
        "medical_fit": bool(w.medical_fit),
        "ntvqf_level": int(w.ntvqf_level or 0),
        "languages": list(w.languages or []),
        "bmet_registered": bool(w.bmet_registration),
        "consent": bool(w.consent),
    }
    payload = {"skills": list(w.skills or []),
               "experience": experience_payload(record_experience(w, tax))}
    return Document(id=w.id, version=w.version, text=worker_text(w, tax), vector=vector,
                    fields=fields, payload=payload)


def job_document(j: JobOrder, tax: Taxonomy, vector: Any, today: dt.date) -> Document:
    """Build the jobs-index document for one job order."""
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
    payload = {"occupation_uri": j.occupation_uri, "isco_group": job_isco(j, tax),
               "required_skills": list(j.required_skills or []),
               "optional_skills": list(j.optional_skills or []), "title": j.title}
    return Document(id=j.id, version=j.version, text=job_text(j, tax), vector=vector,
                    fields=fields, payload=payload)
