"""A small, hand-built registry snapshot for the audit rules' tests (no database needed)."""

from __future__ import annotations

import datetime as dt
from itertools import count
from typing import Any

from support import DATA_DIR

from registry.audit_rules.base import AuditData
from registry.compliance import cost_ceilings
from registry.models import (
    Agency,
    Application,
    Complaint,
    ContractReport,
    Employer,
    FeeReport,
    JobOrder,
    JobOrderTransition,
)

TODAY = dt.date(2026, 6, 15)
NOW = dt.datetime(2026, 6, 15, 10, 0)
_ids = count(1)


def at(days: int) -> dt.datetime:
    """``NOW`` shifted by ``days``."""
    return NOW + dt.timedelta(days=days)


class World:
    """Builds rows with ids and timestamps set, and the AuditData the rules read."""

    def __init__(self) -> None:
        self.agencies: dict[int, Agency] = {}
        self.employers: dict[int, Employer] = {}
        self.jobs: dict[int, JobOrder] = {}
        self.apps: list[Application] = []
        self.fees: list[FeeReport] = []
        self.contracts: list[ContractReport] = []
        self.complaints: list[Complaint] = []
        self.transitions: dict[int, list[JobOrderTransition]] = {}
        self.genders: dict[int, str] = {}

    def agency(self, **kw: Any) -> Agency:
        a = Agency(id=next(_ids), name="Agency", licence_number=f"RL-{next(_ids)}",
                   licence_status="valid", licence_valid_until=TODAY + dt.timedelta(days=300),
                   district="Dhaka", created_at=at(-400), updated_at=at(-400), version=1)
        for k, v in kw.items():
            setattr(a, k, v)
        self.agencies[a.id] = a
        return a

    def job(self, agency: Agency, **kw: Any) -> JobOrder:
        emp = Employer(id=next(_ids), name="Employer", country="Saudi Arabia")
        self.employers[emp.id] = emp
        values: dict[str, Any] = {
            "id": next(_ids), "employer_id": emp.id, "agency_id": agency.id,
            "destination": "Saudi Arabia", "title": "Mason", "status": "verified",
            "demand_letter_attested": True, "recruitment_permission": "BMET-RP-1",
            "deadline": TODAY + dt.timedelta(days=60), "wage_amount": 1200.0,
            "wage_currency": "SAR", "contract_months": 24, "gender_rule": None,
            "domestic_work": False, "created_at": at(-100), "updated_at": at(-100), "version": 1}
        values.update(kw)
        j = JobOrder(**values)
        self.jobs[j.id] = j
        return j

    def transition(self, job: JobOrder, src: str | None, dst: str, days: int) -> None:
        t = JobOrderTransition(id=next(_ids), job_order_id=job.id, from_status=src,
                               to_status=dst, username="u", role="ministry", at=at(days),
                               reason="")
        self.transitions.setdefault(job.id, []).append(t)

    def app(self, job: JobOrder, status: str = "deployed", gender: str = "male",
            days: int = -10, **kw: Any) -> Application:
        a = Application(id=next(_ids), job_order_id=job.id, worker_id=next(_ids), status=status,
                        fee_paid_bdt=None, contract_substituted=False, created_at=at(days),
                        updated_at=at(days), version=1)
        for k, v in kw.items():
            setattr(a, k, v)
        self.genders[a.worker_id] = gender
        self.apps.append(a)
        return a

    def fee(self, agency: Agency, amount: float, job: JobOrder | None = None,
            purpose: str = "recruitment_fee", paid_days: int = -20, worker_id: int | None = None,
            status: str = "received") -> FeeReport:
        r = FeeReport(id=next(_ids), worker_id=worker_id or next(_ids), agency_id=agency.id,
                      job_order_id=job.id if job else None, amount_bdt=amount, purpose=purpose,
                      note="", paid_on=TODAY + dt.timedelta(days=paid_days), status=status,
                      created_at=at(-5))
        self.fees.append(r)
        return r

    def contract(self, job: JobOrder, **kw: Any) -> ContractReport:
        values: dict[str, Any] = {
            "id": next(_ids), "worker_id": next(_ids), "agency_id": job.agency_id,
            "job_order_id": job.id,
            "wage_amount": job.wage_amount, "wage_currency": job.wage_currency,
            "contract_months": job.contract_months, "job_title": None, "other_terms": "",
            "status": "received", "created_at": at(-3)}
        values.update(kw)
        r = ContractReport(**values)
        self.contracts.append(r)
        return r

    def complaint(self, agency: Agency, days: int, status: str = "open") -> Complaint:
        c = Complaint(id=next(_ids), agency_id=agency.id, worker_id=None, category="excess_fee",
                      text="x", status=status, created_at=at(days), updated_at=at(days),
                      version=1)
        self.complaints.append(c)
        return c

    def data(self) -> AuditData:
        return AuditData(agencies=self.agencies, employers=self.employers, jobs=self.jobs,
                         applications=self.apps, fee_reports=self.fees,
                         contract_reports=self.contracts, complaints=self.complaints,
                         transitions=self.transitions, rank_views=[], genders=self.genders,
                         ceilings=cost_ceilings(DATA_DIR))
