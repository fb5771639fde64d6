"""Records → the worker's own response models (``api.schemas_worker``); pages show the same."""

from __future__ import annotations

import datetime as dt

from api.schemas import AgencyLicence, EmployerRef, Gap, Wage
from api.schemas_worker import (
    ComplaintOut,
    CostRule,
    FeeReportOut,
    InterestOut,
    TakaWageOut,
    WorkerJobOut,
)
from matcher.taxonomy import Taxonomy
from registry.compliance import licence_status
from registry.models import Complaint, ExpressionOfInterest, FeeReport
from registry.portal import WorkerJob

FEE_FORM = "/worker/report-fee"


def fee_report_link(job_order_id: int, agency_id: int) -> str:
    """The fee report form, prefilled with the job and its agency."""
    return f"{FEE_FORM}?job_order_id={job_order_id}&agency_id={agency_id}"


def interest_out(row: ExpressionOfInterest) -> InterestOut:
    return InterestOut.model_validate(row)


def fee_report_out(row: FeeReport) -> FeeReportOut:
    return FeeReportOut.model_validate(row)


def complaint_out(row: Complaint) -> ComplaintOut:
    return ComplaintOut.model_validate(row)


def worker_job_out(wj: WorkerJob, tax: Taxonomy, today: dt.date) -> WorkerJobOut:
    """A job order as the worker sees it (``registry.portal.job_for_worker``)."""
    j = wj.job
    c = wj.ceiling
    return WorkerJobOut(
        job_order_id=j.id, title=j.title, destination=j.destination,
        employer=EmployerRef(id=j.employer.id, name=j.employer.name),
        agency=AgencyLicence(id=j.agency.id, name=j.agency.name,
                             licence_number=j.agency.licence_number,
                             licence_status=licence_status(j.agency, today)),  # type: ignore[arg-type]
        wage=Wage(amount=j.wage_amount, currency=j.wage_currency),
        wage_bdt=TakaWageOut(amount_bdt=wj.taka.amount_bdt, rate=wj.taka.rate,
                             rate_date=wj.taka.rate_date, source=wj.taka.source)
        if wj.taka else None,
        contract_months=j.contract_months, deadline=j.deadline,
        required_skills=[tax.skill_label(s) for s in j.required_skills],
        required_ntvqf_level=j.required_ntvqf_level, languages=list(j.languages),
        medical_required=j.medical_required, age_band=[j.min_age, j.max_age],
        open_to_workers=wj.matchable, eligible=not wj.failures,
        failures=[Gap(kind=f.code, what=f.reason, what_bn=f.reason_bn, fix=f.fix)
                  for f in wj.failures],
        cost_rule=CostRule(ceiling_bdt=c.amount_bdt if c else None,
                           ceiling_reported=c.reported if c else None,
                           ceiling_source=c.publisher if c else None, employer_pays=True,
                           report_url=fee_report_link(j.id, j.agency_id)),
        interest=interest_out(wj.interest) if wj.interest else None)
