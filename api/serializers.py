"""Records and ranking results → response models. Identity numbers only for the worker and admins.

The one place that shapes API JSON (the web pages show the same shapes): ``indexer.ranking``
returns typed results, this module turns them into ``api.schemas`` models, with skill labels.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from api.schemas import (
    AgencyLicence,
    AgencyOut,
    Candidate,
    CandidateList,
    EligibleJobs,
    EmployerOut,
    EmployerRef,
    ExperienceOut,
    Gap,
    JobMatch,
    JobOrderOut,
    Wage,
    WorkerOut,
)
from indexer import ranking
from matcher.taxonomy import Taxonomy
from registry.compliance import (
    cost_ceilings,
    job_is_matchable,
    job_is_verified,
    licence_status,
)
from registry.demand import effective_status, not_matchable_reasons
from registry.models import Agency, Employer, JobOrder, Worker

PRIVATE_WORKER_FIELDS = ("phone", "nid_number", "passport_number", "bmet_registration")


def agency_out(a: Agency, today: dt.date) -> AgencyOut:
    """Return an agency with its licence status as of today."""
    return AgencyOut(id=a.id, name=a.name, licence_number=a.licence_number,
                     licence_status=licence_status(a, today),  # type: ignore[arg-type]
                     licence_valid_until=a.licence_valid_until, district=a.district,
                     version=a.version)


def employer_out(e: Employer) -> EmployerOut:
    """Return an employer as the API shows it."""
    return EmployerOut(id=e.id, name=e.name, country=e.country, sector=e.sector,
                       active=e.active, version=e.version)


def job_out(j: JobOrder, today: dt.date) -> JobOrderOut:
    """Return a job order with its verification and matchability."""
    reasons = not_matchable_reasons(j, today)
    return JobOrderOut(
        id=j.id, title=j.title, destination=j.destination,
        status=effective_status(j, today),  # type: ignore[arg-type]
        occupation_uri=j.occupation_uri, description=j.description,
        employer=EmployerRef(id=j.employer.id, name=j.employer.name),
        agency=agency_out(j.agency, today),
        required_skills=j.required_skills, optional_skills=j.optional_skills,
        headcount=j.headcount, wage=Wage(amount=j.wage_amount, currency=j.wage_currency),
        contract_months=j.contract_months, age_band=[j.min_age, j.max_age],
        gender_rule=j.gender_rule, domestic_work=j.domestic_work,  # type: ignore[arg-type]
        required_ntvqf_level=j.required_ntvqf_level, languages=j.languages,
        medical_required=j.medical_required, demand_letter_attested=j.demand_letter_attested,
        recruitment_permission=j.recruitment_permission, deadline=j.deadline,
        verified=job_is_verified(j) and j.deadline >= today,
        matchable=job_is_matchable(j, today), why_not_matchable=[r.text for r in reasons],
        why_not_matchable_codes=[r.code for r in reasons], version=j.version)


def worker_out(w: Worker, *, private: bool) -> WorkerOut:
    """Return a worker profile; identity numbers only when ``private`` access is allowed (and
    left unset otherwise, so that a route answering with ``exclude_unset`` omits them)."""
    out = WorkerOut(
        id=w.id, full_name=w.full_name, date_of_birth=w.date_of_birth,
        gender=w.gender, district=w.district,  # type: ignore[arg-type]
        passport_expiry=w.passport_expiry, medical_fit=w.medical_fit,
        ntvqf_level=w.ntvqf_level, certificates=w.certificates, languages=w.languages,
        experience=[ExperienceOut.model_validate(e) for e in w.experience or []],
        skills=w.skills, self_description=w.self_description,
        bmet_registered=bool(w.bmet_registration), consent=w.consent, version=w.version,
        **({k: getattr(w, k) for k in PRIVATE_WORKER_FIELDS} if private else {}))
    return out


def candidates_out(job_order_id: int, result: ranking.CandidateList,
                   tax: Taxonomy) -> CandidateList:
    """Return a ranked candidate list with skill labels."""
    return CandidateList(
        job_order_id=job_order_id,
        items=[Candidate(worker_id=m.id, score=m.score, score_parts=m.parts,
                         matched_skills=[tax.skill_label(s) for s in m.matched_skills],
                         missing_skills=[tax.skill_label(s) for s in m.missing_skills])
               for m in result.items],
        excluded=result.excluded, eligible_total=result.eligible_total)


def job_match_out(m: ranking.JobMatch, tax: Taxonomy, data_dir: Path,
                  today: dt.date) -> JobMatch:
    """Return one job for a worker: the legal cost ceiling, the agency's licence, what lacks."""
    job = m.job
    ceiling = cost_ceilings(Path(data_dir)).get(job.destination)
    gaps = [Gap(kind=f.code, what=f.reason, what_bn=f.reason_bn, fix=f.fix)
            for f in m.failures]
    gaps += [Gap(kind="skill", what=tax.skill_label(s)) for s in m.missing_skills]
    return JobMatch(
        job_order_id=job.id, title=job.title, score=m.score, score_parts=m.parts,
        destination=job.destination,
        cost_ceiling_bdt=ceiling.amount_bdt if ceiling else None,
        cost_ceiling_source=ceiling.publisher if ceiling else None,
        wage=Wage(amount=job.wage_amount, currency=job.wage_currency), deadline=job.deadline,
        agency=AgencyLicence(id=job.agency.id, name=job.agency.name,
                             licence_number=job.agency.licence_number,
                             licence_status=licence_status(job.agency, today)),  # type: ignore[arg-type]
        matched_skills=[tax.skill_label(s) for s in m.matched_skills], missing=gaps)


def eligible_jobs_out(result: ranking.JobMatches, tax: Taxonomy, data_dir: Path,
                      today: dt.date) -> EligibleJobs:
    """Return the worker's eligible jobs and the ones they could become eligible for."""
    return EligibleJobs(items=[job_match_out(m, tax, data_dir, today) for m in result.items],
                        not_eligible=[job_match_out(m, tax, data_dir, today)
                                      for m in result.not_eligible])
