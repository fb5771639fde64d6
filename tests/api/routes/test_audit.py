"""api/routes/audit.py: agencies with the score's parts (filters, sorts, CSV), one agency's
findings with evidence (issue 14's end to end), the rule catalogue, the access log (filters,
CSV, no way to change it)."""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import select

from registry import demand, reports
from registry.db import session_scope
from registry.models import Employer, Worker
from registry.report_schemas import DemandLetterIn, FeeReportIn


def _rows(client, tokens, query: str = "") -> list[dict]:
    r = client.get(f"/api/v1/audit/agencies{query}", headers=tokens["auditor"])
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_agencies_riskiest_first_with_the_scores_parts(client, tokens):
    rows = _rows(client, tokens)
    scores = [r["risk_score"] for r in rows]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    top = rows[0]
    assert sum(p["points"] for p in top["score_parts"]) == top["risk_score"]
    assert top["flags"] and top["risk_level"] in ("high", "medium", "low")


def test_agency_filters_and_sorts(client, tokens):
    rows = _rows(client, tokens)
    flag = rows[0]["flags"][0]
    flagged = _rows(client, tokens, f"?flag={flag}")
    assert flagged and all(flag in r["flags"] for r in flagged)
    assert len(flagged) < len(rows) or all(flag in r["flags"] for r in rows)
    level = rows[0]["risk_level"]
    assert all(r["risk_level"] == level for r in _rows(client, tokens, f"?risk={level}"))
    unlicensed = [r for r in rows if r["licence_status"] != "valid"]
    if unlicensed:
        status = unlicensed[0]["licence_status"]
        got = _rows(client, tokens, f"?licence={status}")
        assert {r["agency_id"] for r in got} == {r["agency_id"] for r in rows
                                                 if r["licence_status"] == status}
    district = next(r["district"] for r in rows if r["district"])
    assert all(r["district"] == district
               for r in _rows(client, tokens, f"?district={district}"))
    name = rows[-1]["name"]
    assert [r["name"] for r in _rows(client, tokens, f"?q={name[:8].lower()}")][0:1] != []
    by_name = [r["name"].casefold() for r in _rows(client, tokens, "?sort=name")]
    assert by_name == sorted(by_name)
    least = _rows(client, tokens, "?sort=-risk")
    assert least[0]["risk_score"] == min(r["risk_score"] for r in rows)


def test_bad_filters_are_refused_with_the_field_named(client, tokens):
    for query, field in (("?risk=extreme", "risk"), ("?flag=made_up", "flag"),
                         ("?sort=colour", "sort"), ("?licence=lost", "licence")):
        r = client.get(f"/api/v1/audit/agencies{query}", headers=tokens["auditor"])
        assert r.status_code == 422 and field in r.text, (query, r.text)


def test_agency_csv_has_one_line_per_filtered_agency(client, tokens):
    rows = _rows(client, tokens, "?risk=high")
    r = client.get("/api/v1/audit/agencies?risk=high&format=csv", headers=tokens["admin"])
    assert r.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert [int(t["agency_id"]) for t in table] == [x["agency_id"] for x in rows]
    assert all(t["risk_level"] == "high" for t in table)
    assert table[0]["score_parts"].count("=") == len(rows[0]["score_parts"])


def test_rule_catalogue_has_weights_and_sources(client, tokens):
    body = client.get("/api/v1/audit/rules", headers=tokens["auditor"]).json()
    rules = {r["rule"]: r for r in body["items"]}
    assert rules["fee_above_ceiling"]["points_each"] > 0
    assert "Overseas Employment and Migrants Act 2013" in rules["licence_open_demand"]["source"]
    assert "29 CFR 1607.4(D)" in rules["selection_rate_gap"]["source"]
    assert all(r["source"] for r in body["items"])
    assert body["levels"]["high"] > body["levels"]["medium"]


def test_issue_14_fee_report_of_300000_for_saudi_arabia_is_a_finding(client, tokens, seeded):
    """Create an agency, a verified job order for Saudi Arabia and a worker's fee report of
    Tk 300,000: the agency's audit shows the fee finding with that report as evidence."""
    admin = tokens["admin"]
    agency = client.post("/api/v1/agencies", headers=admin, json={
        "name": "Audit Test Overseas", "licence_number": "RL-AUDIT-14",
        "licence_valid_until": (dt.date.today() + dt.timedelta(days=700)).isoformat(),
        "district": "Comilla"}).json()
    with session_scope(seeded["settings"].database_url) as s:
        employer = s.scalar(select(Employer.id).where(Employer.country == "Saudi Arabia")) \
            or s.scalar(select(Employer.id))
        worker = s.scalar(select(Worker.id).order_by(Worker.id))
    job = client.post("/api/v1/job-orders", headers=admin, json={
        "employer_id": employer, "agency_id": agency["id"], "destination": "Saudi Arabia",
        "title": "Construction helper", "wage_amount": 1200, "wage_currency": "SAR",
        "deadline": (dt.date.today() + dt.timedelta(days=60)).isoformat()})
    assert job.status_code == 201, job.text
    job_id = job.json()["id"]
    now = dt.datetime.now()
    with session_scope(seeded["settings"].database_url) as s:
        demand.submit(s, job_id, DemandLetterIn(
            attestation_number="RIY-2025-0099", attestation_date=dt.date.today(),
            attesting_mission="Bangladesh Embassy, Riyadh (labour wing)",
            recruitment_permission="BMET-RP-0099", demand_letter_sha256="a" * 64),
            demand.Actor("admin", "admin"), now)
        demand.verify(s, job_id, demand.Actor("admin", "admin"), now)
        report = reports.report_fee(s, worker, FeeReportIn(
            agency_id=agency["id"], job_order_id=job_id, amount_bdt=300_000,
            purpose="recruitment_fee", paid_on=dt.date.today()), now)
        report_id = report.id
    r = client.get(f"/api/v1/audit/agencies/{agency['id']}", headers=tokens["auditor"])
    assert r.status_code == 200, r.text
    body = r.json()
    fee = [f for f in body["findings"] if f["rule"] == "fee_above_ceiling"]
    assert len(fee) == 1 and "300,000" in fee[0]["summary"] and "Saudi Arabia" in fee[0]["summary"]
    evidence = fee[0]["evidence"]
    assert [(e["kind"], e["id"]) for e in evidence] == [("fee_report", report_id)]
    assert evidence[0]["facts"]["ceiling_bdt"] == 165000
    assert evidence[0]["href"] == f"/auditor/evidence?kind=fee_report&id={report_id}"
    assert fee[0]["job_order_id"] == job_id and "ceiling" in fee[0]["source"]
    assert "fee_above_ceiling" in body["flags"] and body["risk_score"] > 0
    assert [t["to"] for t in body["job_orders"][0]["history"]] == ["submitted", "verified"]
    assert body["charts"]["fees_by_destination"][0]["max_bdt"] == 300000
    listed = _rows(client, tokens, "?flag=fee_above_ceiling&q=RL-AUDIT-14")
    assert [x["agency_id"] for x in listed] == [agency["id"]]
    findings_csv = client.get(f"/api/v1/audit/agencies/{agency['id']}?format=csv",
                              headers=tokens["auditor"]).text
    line = next(t for t in csv.DictReader(io.StringIO(findings_csv))
                if t["rule"] == "fee_above_ceiling")
    assert line["evidence"] == f"fee_report:{report_id}"


def test_unknown_agency_is_404(client, tokens):
    assert client.get("/api/v1/audit/agencies/999999",
                      headers=tokens["auditor"]).status_code == 404


def test_access_log_lists_who_read_a_profile(client, tokens):
    wid = 1
    assert client.get(f"/api/v1/workers/{wid}", headers=tokens["admin"]).status_code == 200
    rows = client.get(f"/api/v1/audit/access-log?worker_id={wid}",
                      headers=tokens["auditor"]).json()["items"]
    assert rows[0]["username"] == "admin" and rows[0]["action"] == "read_profile"
    assert rows[0]["worker_ids"] == [wid] and rows[0]["at"] and rows[0]["role"] == "admin"
    assert rows[0]["workers"][0]["name"]


def test_access_log_filters_and_csv(client, tokens):
    bearer = tokens["officer"]
    jobs = client.get("/api/v1/job-orders", headers=bearer).json()["items"]
    job = next(j for j in jobs if j["status"] == "verified")
    assert client.get(f"/api/v1/job-orders/{job['id']}/candidates",
                      headers=bearer).status_code == 200
    get = lambda q: client.get(f"/api/v1/audit/access-log{q}",  # noqa: E731
                               headers=tokens["auditor"])
    mine = get("?username=officer").json()["items"]
    assert mine and all(r["username"] == "officer" for r in mine)
    ranked = next(r for r in mine if r["action"] == "rank_candidates")
    assert ranked["job_order_id"] == job["id"] and ranked["agency_id"] == job["agency"]["id"]
    by_agency = get(f"?agency_id={job['agency']['id']}").json()["items"]
    assert ranked["id"] in {r["id"] for r in by_agency}
    other = get("?agency_id=999999").json()["items"]
    assert other == []
    today = dt.date.today()
    assert get(f"?since={today}&until={today}").json()["items"]
    assert get(f"?until={today - dt.timedelta(days=400)}&username=officer").json()["items"] == []
    assert get(f"?since={today}&until={today - dt.timedelta(days=1)}").status_code == 422
    text = get("?username=officer&format=csv").text
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == len(mine) and {t["username"] for t in table} == {"officer"}
    assert table[0]["role"] == "officer" and table[0]["at"]


def test_nobody_can_change_the_access_log(client, tokens):
    """No route writes, edits or deletes the access log: every method but GET is refused."""
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for path in ("/api/v1/audit/access-log", "/api/v1/audit/access-log/1"):
            r = client.request(method, path, headers=tokens["admin"])
            assert r.status_code in (404, 405), (method, path, r.status_code)
    spec = client.get("/openapi.json").json()["paths"]
    assert [p for p in spec if "access-log" in p] == ["/api/v1/audit/access-log"]
    assert set(spec["/api/v1/audit/access-log"]) == {"get"}
