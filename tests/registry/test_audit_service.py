"""Issue 14 end to end at service level (SQLite): records created through the services, the
audit flags the agency with the rows as evidence; the demand lifecycle and report steps."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from registry import demand, reports, service
from registry.audit_rules.overview import audit_agencies, audit_agency
from registry.db import session_scope
from registry.migrate import upgrade
from registry.models import Agency, Employer, JobOrder, Worker
from registry.report_schemas import ComplaintIn, DemandLetterIn, FeeReportIn
from registry.schemas import AgencyIn, JobOrderIn, WorkerIn
from registry.service import ForbiddenError, InvalidRecordError

TODAY = dt.date.today()
NOW = dt.datetime.combine(TODAY, dt.time(10))
OFFICER = demand.Actor("officer", "officer", agency_id=None)
MINISTRY = demand.Actor("ministry", "ministry")
LETTER = DemandLetterIn(attestation_number="ATT-1", attestation_date=TODAY,
                        attesting_mission="Bangladesh Embassy, Riyadh",
                        recruitment_permission="BMET-RP-9",
                        demand_letter_sha256=hashlib.sha256(b"letter").hexdigest())


@pytest.fixture
def db(settings):
    upgrade(settings.database_url)
    return settings


def _world(s, valid_until: dt.date) -> tuple[Agency, JobOrder, Worker]:
    agency = service.create(s, Agency, AgencyIn(name="Fair Way", licence_number="RL-9001",
                                                licence_valid_until=valid_until))
    emp = Employer(name="Riyadh Build Co.", country="Saudi Arabia", version=1)
    s.add(emp)
    s.flush()
    job = service.create(s, JobOrder, JobOrderIn(
        employer_id=emp.id, agency_id=agency.id, destination="Saudi Arabia", title="Mason",
        wage_amount=1500, wage_currency="SAR", deadline=TODAY + dt.timedelta(days=60)))
    officer = demand.Actor("officer", "officer", agency_id=agency.id)
    demand.submit(s, job.id, LETTER, officer, NOW)
    demand.verify(s, job.id, MINISTRY, NOW)
    worker = service.create(s, Worker, WorkerIn(full_name="Rahim Uddin", gender="male",
                                                date_of_birth=dt.date(1995, 1, 1)))
    return agency, job, worker


def test_a_300000_taka_fee_for_saudi_arabia_flags_the_agency_with_that_report(db):
    with session_scope(db.database_url) as s:
        agency, job, worker = _world(s, TODAY + dt.timedelta(days=365))
        report = reports.report_fee(s, worker.id, FeeReportIn(
            agency_id=agency.id, job_order_id=job.id, amount_bdt=300_000,
            purpose="recruitment_fee", paid_on=TODAY), NOW)
        agency_id, report_id = agency.id, report.id
    with session_scope(db.database_url) as s:
        [row] = audit_agencies(s, db.data_dir, TODAY)
        assert row["agency_id"] == agency_id and "fee_above_ceiling" in row["flags"]
        assert row["risk_score"] > 0 and row["score_parts"][0]["rule"] == "fee_above_ceiling"
        detail = audit_agency(s, db.data_dir, agency_id, TODAY)
    [fee] = [f for f in detail["findings"] if f["rule"] == "fee_above_ceiling"]
    assert fee["evidence"] == [{"kind": "fee_report", "id": report_id, "facts": {
        "worker_id": fee["evidence"][0]["facts"]["worker_id"], "job_order_id": fee["job_order_id"],
        "amount_bdt": 300_000.0, "purpose": "recruitment_fee", "paid_on": TODAY.isoformat(),
        "destination": "Saudi Arabia", "ceiling_bdt": 165_000, "total_bdt": 300_000.0,
        "ratio": 1.82}}]
    assert "Saudi Arabia" in fee["summary"] and "165,000" in fee["summary"]
    assert "migration_cost_ceilings.csv" in fee["source"]
    assert [h["to"] for h in detail["job_orders"][0]["history"]] == ["submitted", "verified"]


def test_licence_expiring_tomorrow_flagged_only_after_it_lapses(db):
    with session_scope(db.database_url) as s:
        agency, _, _ = _world(s, TODAY + dt.timedelta(days=1))
        agency_id = agency.id
    with session_scope(db.database_url) as s:
        today = audit_agency(s, db.data_dir, agency_id, TODAY)
        later = audit_agency(s, db.data_dir, agency_id, TODAY + dt.timedelta(days=2))
    assert today["licence_status"] == "valid" and today["findings"] == []
    assert later["licence_status"] == "expired"
    assert [f["rule"] for f in later["findings"]] == ["licence_open_demand"]


def test_lifecycle_refuses_illegal_steps_and_wrong_actors(db):
    with session_scope(db.database_url) as s:
        agency, job, worker = _world(s, TODAY + dt.timedelta(days=365))
        with pytest.raises(demand.TransitionError, match="is verified; it cannot become "
                                                         "submitted"):
            demand.submit(s, job.id, LETTER, demand.Actor("a", "admin"), NOW)
        with pytest.raises(ForbiddenError):
            demand.close(s, job.id, demand.Actor("o", "officer", agency_id=agency.id + 1), NOW)
        with pytest.raises(ForbiddenError):
            demand.reject(s, job.id, demand.Actor("x", "auditor"), NOW, "no")
        assert demand.expire_due(s, job.deadline) == []  # on its deadline: still in date
        assert demand.expire_due(s, job.deadline + dt.timedelta(days=1)) == [job.id]
        assert s.get(JobOrder, job.id).status == "expired"
        with pytest.raises(InvalidRecordError):
            reports.express_interest(s, worker.id, job.id, NOW + dt.timedelta(days=61))
        demand.close(s, job.id, demand.Actor("o", "officer", agency_id=agency.id),
                     NOW + dt.timedelta(days=62))
        assert [t.to_status for t in demand.history(s, job.id)] == [
            "submitted", "verified", "expired", "closed"]


def test_complaint_and_interest_steps(db):
    with session_scope(db.database_url) as s:
        agency, job, worker = _world(s, TODAY + dt.timedelta(days=365))
        c = reports.file_complaint(s, worker.id, ComplaintIn(
            agency_id=agency.id, category="passport_retention", text="they kept my passport"),
            NOW)
        with pytest.raises(InvalidRecordError, match="note"):
            reports.move_complaint(s, c.id, "dismissed", "", NOW)
        reports.move_complaint(s, c.id, "acknowledged", "", NOW)
        reports.move_complaint(s, c.id, "resolved", "passport returned", NOW)
        assert (c.status, c.acknowledged_at, c.resolved_at) == ("resolved", NOW, NOW)
        with pytest.raises(demand.TransitionError):
            reports.move_complaint(s, c.id, "open", "", NOW)
        interest, created = reports.express_interest(s, worker.id, job.id, NOW)
        assert created and reports.interests_for_job(s, job.id) == [interest]
        with pytest.raises(ForbiddenError):
            reports.withdraw_interest(s, interest.id, worker.id + 1, NOW)
        reports.withdraw_interest(s, interest.id, worker.id, NOW)
        assert reports.interests_for_job(s, job.id) == []
        again, created = reports.express_interest(s, worker.id, job.id, NOW)
        assert again.id == interest.id and not created and again.status == "active"


def test_a_fee_report_for_another_agencys_job_order_is_refused(db):
    with session_scope(db.database_url) as s:
        agency, job, worker = _world(s, TODAY + dt.timedelta(days=365))
        other = service.create(s, Agency, AgencyIn(name="Other", licence_number="RL-2",
                                                   licence_valid_until=TODAY))
        with pytest.raises(InvalidRecordError, match="job_order_id"):
            reports.report_fee(s, worker.id, FeeReportIn(
                agency_id=other.id, job_order_id=job.id, amount_bdt=10, purpose="visa",
                paid_on=TODAY), NOW)


def test_report_inputs_are_bounded():
    from pydantic import ValidationError

    for bad in ({"amount_bdt": 0}, {"amount_bdt": float("inf")}, {"purpose": "bribe"},
                {"paid_on": TODAY + dt.timedelta(days=30)}, {"note": "x" * 5000},
                {"agency_id": 2**31}):
        values = {"agency_id": 1, "amount_bdt": 10, "purpose": "visa", "paid_on": TODAY, **bad}
        with pytest.raises(ValidationError):
            FeeReportIn(**values)
    with pytest.raises(ValidationError):
        DemandLetterIn(**{**LETTER.model_dump(), "demand_letter_sha256": "abc"})
    with pytest.raises(ValidationError):
        ComplaintIn(agency_id=1, category="nonsense", text="x")
