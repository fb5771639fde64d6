"""Each audit rule on both sides of its threshold, with its evidence and its source."""

from __future__ import annotations

import datetime as dt

from audit_world import TODAY, World

from registry.audit_rules.contract import contract_findings
from registry.audit_rules.demand import demand_findings
from registry.audit_rules.fairness import fairness_findings, selection_rates
from registry.audit_rules.fees import fee_findings
from registry.audit_rules.licence import licence_findings
from registry.audit_rules.red_flags import (
    complaint_findings,
    employer_findings,
    fee_jump_findings,
    wage_findings,
)
from registry.audit_rules.score import isolation_opinion, risk_score


def rules(findings, rule=None):
    return [f for f in findings if rule is None or f.rule == rule]


# --- licence --------------------------------------------------------------------------------

def test_licence_expiring_tomorrow_is_not_flagged_today_but_the_day_after():
    w = World()
    a = w.agency(licence_valid_until=TODAY + dt.timedelta(days=1))
    job = w.job(a)
    assert licence_findings(w.data(), TODAY) == []
    assert licence_findings(w.data(), TODAY + dt.timedelta(days=1)) == []  # last valid day
    [f] = licence_findings(w.data(), TODAY + dt.timedelta(days=2))
    assert f.rule == "licence_open_demand" and f.agency_id == a.id
    assert [(e.kind, e.id) for e in f.evidence] == [("agency", a.id), ("job_order", job.id)]
    assert "s.9" in f.source


def test_suspended_licence_flags_placements_made_after_it_but_not_before():
    w = World()
    a = w.agency(licence_status="suspended", updated_at=w_at(-30))
    job = w.job(a, status="closed")
    w.app(job, "deployed", days=-40)  # before the suspension was recorded
    assert licence_findings(w.data(), TODAY) == []
    after = w.app(job, "selected", days=-5)
    [f] = licence_findings(w.data(), TODAY)
    assert f.rule == "licence_placements" and f.count == 1
    assert ("application", after.id) in [(e.kind, e.id) for e in f.evidence]


def w_at(days: int) -> dt.datetime:
    from audit_world import at

    return at(days)


# --- demand ---------------------------------------------------------------------------------

def test_pick_before_verification_is_flagged_pick_after_is_not():
    w = World()
    a = w.agency()
    job = w.job(a)
    w.transition(job, "draft", "submitted", -30)
    w.transition(job, "submitted", "verified", -20)
    w.app(job, "shortlisted", days=-10)
    assert demand_findings(w.data(), TODAY) == []
    early = w.app(job, "shortlisted", days=-25)  # while only submitted
    [f] = demand_findings(w.data(), TODAY)
    assert f.rule == "demand_not_verified" and f.job_order_id == job.id and f.count == 1
    ev = {(e.kind, e.id): e.facts for e in f.evidence}
    assert "not verified (status submitted)" in ev[("application", early.id)]["problems"]
    assert sum(e.kind == "transition" for e in f.evidence) == 2


def test_pick_past_deadline_or_without_permission_is_flagged():
    w = World()
    a = w.agency()
    ok = w.job(a, deadline=TODAY)
    w.app(ok, "selected", days=0)
    assert demand_findings(w.data(), TODAY) == []  # on the deadline day itself
    late = w.job(a, deadline=TODAY - dt.timedelta(days=1))
    w.app(late, "selected", days=0)
    no_rp = w.job(a, recruitment_permission=None)
    w.app(no_rp, "shortlisted", days=-1)
    found = {f.job_order_id: f for f in demand_findings(w.data(), TODAY)}
    assert set(found) == {late.id, no_rp.id}
    assert any("past its deadline" in p for e in found[late.id].evidence
               for p in e.facts.get("problems", []))
    assert any("no recruitment permission" in p for e in found[no_rp.id].evidence
               for p in e.facts.get("problems", []))


# --- fees -----------------------------------------------------------------------------------

def test_fee_above_the_saudi_ceiling_is_flagged_at_the_ceiling_is_not():
    w = World()
    a = w.agency()
    job = w.job(a)
    w.fee(a, 165_000, job)
    assert rules(fee_findings(w.data(), TODAY), "fee_above_ceiling") == []
    over = w.fee(a, 165_001, job)
    [f] = rules(fee_findings(w.data(), TODAY), "fee_above_ceiling")
    assert [e.id for e in f.evidence] == [over.id]
    assert f.evidence[0].facts["ceiling_bdt"] == 165_000
    assert "migration_cost_ceilings.csv" in f.source and "http" in f.source


def test_fees_for_one_worker_and_job_add_up_against_the_ceiling():
    w = World()
    a = w.agency()
    job = w.job(a, destination="Malaysia")
    r1 = w.fee(a, 50_000, job, worker_id=7)
    r2 = w.fee(a, 40_000, job, worker_id=7, purpose="air_fare")
    [f] = rules(fee_findings(w.data(), TODAY), "fee_above_ceiling")  # 90,000 > 78,990
    assert {e.id for e in f.evidence} == {r1.id, r2.id}


def test_any_fee_is_flagged_under_employer_pays_but_not_government_fees():
    w = World()
    a = w.agency()
    job = w.job(a)
    w.fee(a, 3_500, job, purpose="welfare_fund")
    assert rules(fee_findings(w.data(), TODAY), "fee_charged") == []
    small = w.fee(a, 1_000, job, purpose="service_charge")
    [f] = rules(fee_findings(w.data(), TODAY), "fee_charged")
    assert [e.id for e in f.evidence] == [small.id] and "ILO" in f.source


def test_unknown_ceiling_is_reported_as_unknown_never_compared():
    w = World()
    a = w.agency()
    job = w.job(a, destination="Italy")
    w.fee(a, 900_000, job)
    w.fee(a, 5_000_000)  # no job order: no destination
    found = fee_findings(w.data(), TODAY)
    assert rules(found, "fee_above_ceiling") == []
    unknown = rules(found, "fee_ceiling_unknown")
    assert len(unknown) == 2 and all(f.severity == "info" for f in unknown)
    assert risk_score(unknown)["score"] == 0


def test_unsubstantiated_reports_are_left_out():
    w = World()
    a = w.agency()
    w.fee(a, 400_000, w.job(a), status="unsubstantiated")
    assert fee_findings(w.data(), TODAY) == []


# --- contract substitution ------------------------------------------------------------------

def test_same_or_higher_wage_is_fine_lower_wage_or_other_terms_flagged():
    w = World()
    a = w.agency()
    job = w.job(a)
    w.contract(job)
    w.contract(job, wage_amount=1300.0)
    assert contract_findings(w.data(), TODAY) == []
    low = w.contract(job, wage_amount=1199.0)
    other = w.contract(job, contract_months=36, other_terms="no day off")
    found = {f.evidence[0].id: f for f in contract_findings(w.data(), TODAY)}
    assert set(found) == {low.id, other.id}
    assert "wage 1,199 instead of 1,200 SAR" in found[low.id].summary
    assert "36-month contract instead of 24" in found[other.id].summary


# --- red flags ------------------------------------------------------------------------------

def test_domestic_wage_below_the_sar_800_floor_is_flagged_unknown_floor_is_not():
    w = World()
    a = w.agency()
    w.job(a, domestic_work=True, wage_amount=800.0)
    w.job(a, domestic_work=True, destination="Oman", wage_currency="OMR", wage_amount=50.0)
    w.job(a, domestic_work=False, wage_amount=500.0)  # no known floor for masons
    assert wage_findings(w.data(), TODAY) == []
    low = w.job(a, domestic_work=True, wage_amount=799.0)
    [f] = wage_findings(w.data(), TODAY)
    assert f.job_order_id == low.id and "Dhaka Times" in f.source


def test_picks_for_an_employer_never_verified_are_flagged():
    w = World()
    a = w.agency()
    ok = w.job(a)
    w.app(ok, "deployed")
    assert employer_findings(w.data(), TODAY) == []
    fake = w.job(a, status="draft", demand_letter_attested=False, recruitment_permission=None)
    picked = w.app(fake, "shortlisted")
    [f] = employer_findings(w.data(), TODAY)
    assert f.evidence[0].kind == "employer" and f.evidence[0].id == fake.employer_id
    assert [e.id for e in f.evidence[1:]] == [picked.id]


def test_complaints_open_beyond_30_days_and_placements_since():
    w = World()
    a = w.agency()
    job = w.job(a)
    w.complaint(a, days=-30)  # exactly 30 days: not yet
    w.complaint(a, days=-60, status="acknowledged")
    w.app(job, "deployed", days=-20)
    assert complaint_findings(w.data(), TODAY) == []
    late = w.complaint(a, days=-31)
    found = {f.rule: f for f in complaint_findings(w.data(), TODAY)}
    assert [e.id for e in found["complaints_ignored"].evidence] == [late.id]
    assert "placements_while_complaints_ignored" not in found  # placed before it was overdue
    placed = w.app(job, "deployed", days=0)
    found = {f.rule: f for f in complaint_findings(w.data(), TODAY)}
    assert placed.id in [e.id for e in found["placements_while_complaints_ignored"].evidence]


def test_fee_jump_of_half_again_is_flagged_smaller_rise_is_not():
    w = World()
    a = w.agency()
    job = w.job(a, destination="Italy")  # no ceiling needed for a jump
    for days in (-200, -150):
        w.fee(a, 100_000, job, paid_days=days)
    r1 = w.fee(a, 140_000, job, paid_days=-30)
    r2 = w.fee(a, 149_000, job, paid_days=-10)
    assert fee_jump_findings(w.data(), TODAY) == []  # median 144,500 < 1.5 × 100,000
    r2.amount_bdt = 170_000  # median 155,000
    [f] = fee_jump_findings(w.data(), TODAY)
    assert {e.id for e in f.evidence if e.facts["window"] == "recent"} == {r1.id, r2.id}


# --- fairness -------------------------------------------------------------------------------

def _selection(w, job, gender, selected, rejected):
    for _ in range(selected):
        w.app(job, "selected", gender=gender)
    for _ in range(rejected):
        w.app(job, "rejected", gender=gender)


def test_four_fifths_rule_with_the_counts_behind_it():
    w = World()
    a = w.agency()
    job = w.job(a)
    _selection(w, job, "male", 5, 5)  # 0.50
    _selection(w, job, "female", 4, 6)  # 0.40: ratio 0.8, not below
    assert fairness_findings(w.data(), TODAY) == []
    w.app(job, "rejected", gender="female")  # 4/11 = 0.364: ratio 0.73
    found = fairness_findings(w.data(), TODAY)
    assert {f.evidence[0].facts["scope"] for f in found} == {"agency", "job_order"}
    counts = found[0].evidence[0].facts
    assert counts["considered"] == {"female": 11, "male": 10}
    assert counts["selected"] == {"female": 4, "male": 5} and counts["impact_ratio"] == 0.727
    assert "1607.4(D)" in found[0].source


def test_small_groups_and_legal_gender_rules_are_not_flagged():
    w = World()
    a = w.agency()
    _selection(w, w.job(a), "female", 0, 4)  # 4 women: too few to say
    _selection(w, w.job(a), "male", 5, 0)
    legal = w.job(a, gender_rule="female")
    _selection(w, legal, "female", 10, 0)
    assert fairness_findings(w.data(), TODAY) == []
    assert legal.id not in {r.id for r in selection_rates(w.data(), TODAY)
                            if r.scope == "job_order"}


# --- score ----------------------------------------------------------------------------------

def test_score_shows_its_parts_and_caps_each_rule():
    w = World()
    a = w.agency()
    job = w.job(a)
    for _ in range(7):
        w.fee(a, 200_000, job)  # 7 workers above the ceiling
    score = risk_score(fee_findings(w.data(), TODAY))
    parts = {p["rule"]: p for p in score["parts"]}
    assert parts["fee_above_ceiling"]["cases"] == 7 and parts["fee_above_ceiling"]["counted"] == 5
    assert score["score"] == sum(p["points"] for p in score["parts"]) == 5 * 8 + 7 * 1
    assert score["level"] == "medium"
    assert risk_score([]) == {"score": 0, "level": "none", "parts": []}


def test_isolation_forest_singles_out_the_unusual_agency_and_shows_its_metrics():
    metrics = {i: {"fees": 10.0 + i % 3, "complaints": 1.0 + i % 2} for i in range(1, 21)}
    metrics[21] = {"fees": 90.0, "complaints": 30.0}
    opinion = isolation_opinion(metrics)
    assert max(opinion, key=lambda i: opinion[i]["anomaly"]) == 21
    assert opinion[21]["outlier"] and opinion[21]["metrics"] == metrics[21]
    assert isolation_opinion({i: metrics[i] for i in range(1, 5)}) == {}  # too few to say
