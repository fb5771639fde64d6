"""Records → JSON for the API. Identity numbers are shown only to the worker and admins."""

from __future__ import annotations

import datetime as dt
from typing import Any

from registry.compliance import job_is_matchable, job_is_verified, licence_status
from registry.models import Agency, JobOrder, Worker

PRIVATE_WORKER_FIELDS = ("phone", "nid_number", "passport_number")


def agency_json(a: Agency, today: dt.date) -> dict[str, Any]:
    """Return an agency with its licence status as of today."""
    return {"id": a.id, "name": a.name, "licence_number": a.licence_number,
            "licence_status": licence_status(a, today),
            "licence_valid_until": a.licence_valid_until.isoformat(),
            "district": a.district, "version": a.version}


def job_json(j: JobOrder, today: dt.date) -> dict[str, Any]:
    """Return a job order with its verification and matchability."""
    return {
        "id": j.id, "title": j.title, "destination": j.destination, "status": j.status,
        "occupation_uri": j.occupation_uri, "description": j.description,
        "employer": {"id": j.employer.id, "name": j.employer.name},
        "agency": agency_json(j.agency, today),
        "required_skills": j.required_skills, "optional_skills": j.optional_skills,
        "headcount": j.headcount, "wage": {"amount": j.wage_amount, "currency": j.wage_currency},
        "contract_months": j.contract_months, "age_band": [j.min_age, j.max_age],
        "gender_rule": j.gender_rule, "domestic_work": j.domestic_work,
        "required_ntvqf_level": j.required_ntvqf_level, "languages": j.languages,
        "medical_required": j.medical_required,
        "demand_letter_attested": j.demand_letter_attested,
        "recruitment_permission": j.recruitment_permission,
        "deadline": j.deadline.isoformat(), "verified": job_is_verified(j),
        "matchable": job_is_matchable(j, today), "version": j.version,
    }


def worker_json(w: Worker, *, private: bool) -> dict[str, Any]:
    """Return a worker profile; identity numbers only when ``private`` access is allowed."""
    out = {
        "id": w.id, "full_name": w.full_name, "date_of_birth": w.date_of_birth.isoformat(),
        "gender": w.gender, "district": w.district,
        "passport_expiry": w.passport_expiry.isoformat() if w.passport_expiry else None,
        "medical_fit": w.medical_fit, "ntvqf_level": w.ntvqf_level,
        "certificates": w.certificates, "languages": w.languages, "experience": w.experience,
        "skills": w.skills, "self_description": w.self_description,
        "bmet_registered": bool(w.bmet_registration), "consent": w.consent, "version": w.version,
    }
    if private:
        out.update({k: getattr(w, k) for k in PRIVATE_WORKER_FIELDS})
        out["bmet_registration"] = w.bmet_registration
    return out
