"""The officer's pages as a user sees them: job orders, candidates, a candidate, the pipeline."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.i18n.format import native_digits
from matcher import eligibility
from matcher.inputs import job_facts, worker_facts
from registry.compliance import job_is_matchable
from registry.db import session_scope
from registry.models import AccessLog, ExpressionOfInterest, JobOrder, User, Worker


@pytest.fixture(scope="module")
def app(seeded):
    return create_app(seeded["settings"], indexer=seeded["indexer"], warm_up=False)


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        r = c.post("/login", data={"username": "officer", "password": "shetu-demo"},
                   follow_redirects=False)
        assert r.status_code == 303
        yield c


@pytest.fixture(scope="module")
def facts(seeded):
    """The demo officer's matchable job orders and every worker's eligibility for the first."""
    today = dt.date.today()
    with session_scope(seeded["settings"].database_url) as s:
        officer = s.scalar(select(User).where(User.username == "officer"))
        jobs = [j for j in s.scalars(select(JobOrder).where(
            JobOrder.agency_id == officer.agency_id).order_by(JobOrder.id))
            if job_is_matchable(j, today)]
        assert jobs, "the demo officer has no matchable job order"
        job = jobs[0]
        workers = list(s.scalars(select(Worker)))
        eligible = [w.id for w in workers if w.consent and not eligibility.check(
            worker_facts(w), job_facts(job))]
        return {"job": job.id, "eligible": eligible, "total": len(workers),
                "agency": officer.agency_id, "headcount": job.headcount}


def _access_rows(seeded, action: str, worker_id: int) -> int:
    with session_scope(seeded["settings"].database_url) as s:
        return s.scalar(select(func.count()).select_from(AccessLog).where(
            AccessLog.action == action, AccessLog.worker_id == worker_id)) or 0


def test_job_orders_search_filter_counts_and_paging(client, facts):
    r = client.get("/officer?lang=en")
    assert r.status_code == 200
    for st in ("draft", "submitted", "verified", "rejected", "expired", "closed"):
        assert f'href="/officer?status={st}"' in r.text
    found = int(re.search(r"(\d+) job orders found", r.text).group(1))
    rows = re.findall(r'<tr><td>[^<]*</td><td><a href="/officer/jobs/(\d+)"', r.text)
    assert len(rows) == min(found, 25)
    verified = client.get("/officer?lang=en&status=verified")
    assert verified.status_code == 200
    assert str(facts["job"]) in re.findall(r'href="/officer/jobs/(\d+)"', verified.text)
    assert client.get("/officer?lang=en&status=verified&q=zzzz-no-title").text.count(
        'href="/officer/jobs/') == 0
    assert client.get("/officer?status=nonsense").status_code == 422
    assert client.get("/officer?sort=-id&page=2&lang=en").status_code == 200


def test_job_order_page_shows_the_order_beside_its_candidates(client, facts):
    r = client.get(f"/officer/jobs/{facts['job']}?lang=en")
    assert r.status_code == 200
    for label in ("Wage per month", "Headcount", "Contract", "Requirements", "Deadline",
                  "Demand letter", "expressions of interest", "Pipeline"):
        assert label in r.text, label
    assert f"0 selected of {facts['headcount']} wanted" in r.text
    ranked = re.findall(r'class="worker" href="/officer/jobs/\d+/workers/(\d+)"', r.text)
    assert ranked and set(map(int, ranked)) <= set(facts["eligible"])
    for words in ("Required skills held", "Same or related occupation", "Relevant experience"):
        assert words in r.text


def test_exclusions_count_each_worker_under_the_first_rule_and_add_up(client, facts):
    r = client.get(f"/officer/jobs/{facts['job']}?lang=en")
    counts = {code: int(n) for code, n in re.findall(
        r'data-rule="(\w+)" data-count="(\d+)"', r.text)}
    assert "first rule they fail" in r.text
    assert sum(counts.values()) == facts["total"] - len(facts["eligible"])
    assert f"{len(facts['eligible'])} of {facts['total']} workers are eligible" in r.text


def test_candidate_filters_and_paging(client, facts, seeded):
    with session_scope(seeded["settings"].database_url) as s:
        ws = {w.id: w for w in s.scalars(select(Worker).where(
            Worker.id.in_(facts["eligible"])))}
        district = next(w.district for w in ws.values() if w.district)
        expect = {i for i, w in ws.items() if w.district == district}
        level_expect = {i for i, w in ws.items() if (w.ntvqf_level or 0) >= 2}
    shown = re.findall(r'class="worker" href="/officer/jobs/\d+/workers/(\d+)"',
                       client.get(f"/officer/jobs/{facts['job']}",
                                  params={"district": district}).text)
    assert set(map(int, shown)) == expect
    shown = re.findall(r'class="worker" href="/officer/jobs/\d+/workers/(\d+)"',
                       client.get(f"/officer/jobs/{facts['job']}", params={"level": 2}).text)
    assert set(map(int, shown)) == set(list(level_expect)[:25]) or len(shown) == 25
    assert client.get(f"/officer/jobs/{facts['job']}", params={"language": "Klingon"}
                      ).status_code == 422
    assert client.get(f"/officer/jobs/{facts['job']}", params={"min_years": -1}
                      ).status_code == 422
    if len(facts["eligible"]) > 25:
        p2 = client.get(f"/officer/jobs/{facts['job']}", params={"page": 2, "lang": "en"})
        ids2 = re.findall(r'class="worker" href="/officer/jobs/\d+/workers/(\d+)"', p2.text)
        assert ids2 and "Page 2 of" in p2.text


def test_gender_filter_only_where_the_job_order_has_a_legal_rule(client, facts, seeded):
    with session_scope(seeded["settings"].database_url) as s:
        rule = s.scalar(select(JobOrder.gender_rule).where(JobOrder.id == facts["job"]))
    r = client.get(f"/officer/jobs/{facts['job']}", params={"gender": "female"})
    if rule:
        assert r.status_code == 200
    else:
        assert r.status_code == 422
        assert 'id="gender"' not in client.get(f"/officer/jobs/{facts['job']}").text


def test_identity_masked_until_shortlisted_and_every_view_logged(client, facts, seeded):
    wid = facts["eligible"][-1]
    with session_scope(seeded["settings"].database_url) as s:
        w = s.get(Worker, wid)
        secrets = [v for v in (w.passport_number, w.phone, w.nid_number) if v]
    assert secrets
    before = _access_rows(seeded, "view_candidate", wid)
    url = f"/officer/jobs/{facts['job']}/workers/{wid}?lang=en"
    r = client.get(url)
    assert r.status_code == 200 and "Why they match" in r.text
    assert not any(v in r.text for v in secrets)
    assert "hidden until you shortlist" in r.text
    assert "http://data.europa.eu" not in r.text.split("<main>")[1]  # skills by name, not URI
    assert _access_rows(seeded, "view_candidate", wid) == before + 1
    r = client.post(f"/officer/jobs/{facts['job']}/pipeline",
                    data={"worker_id": str(wid), "status": "shortlisted"},
                    follow_redirects=False)
    assert r.status_code == 303
    r = client.get(url)
    assert all(v in r.text for v in secrets)
    assert _access_rows(seeded, "view_candidate", wid) == before + 2


def test_bulk_pipeline_steps_reasons_headcount_and_csv(client, facts):
    picks = facts["eligible"][:3]
    r = client.post(f"/officer/jobs/{facts['job']}/pipeline",
                    data={"worker_id": [str(i) for i in picks], "status": "shortlisted"})
    assert r.status_code == 200 and "3 workers moved" in client.get(
        f"/officer/jobs/{facts['job']}?lang=en&moved=3").text
    # Selecting one not yet shortlisted fails the whole batch: nothing moves.
    outsider = next(i for i in facts["eligible"] if i not in picks
                    and i != facts["eligible"][-1])
    r = client.post(f"/officer/jobs/{facts['job']}/pipeline?lang=en",
                    data={"worker_id": [str(picks[0]), str(outsider)], "status": "selected"})
    assert r.status_code == 409 and "Nothing was changed" in r.text
    r = client.post(f"/officer/jobs/{facts['job']}/pipeline",
                    data={"worker_id": [str(picks[0]), str(picks[1])], "status": "selected"})
    assert r.status_code == 200
    page = client.get(f"/officer/jobs/{facts['job']}?lang=en").text
    assert f"2 selected of {facts['headcount']} wanted" in page
    # A rejection needs a reason, and shows it.
    r = client.post(f"/officer/jobs/{facts['job']}/pipeline?lang=en",
                    data={"worker_id": str(picks[2]), "status": "rejected"})
    assert r.status_code == 422
    r = client.post(f"/officer/jobs/{facts['job']}/pipeline",
                    data={"worker_id": str(picks[2]), "status": "rejected",
                          "reason": "=HYPERLINK(\"x\") no welding test"})
    assert r.status_code == 200 and "no welding test" in client.get(
        f"/officer/jobs/{facts['job']}?lang=en").text
    r = client.post(f"/officer/jobs/{facts['job']}/pipeline",
                    data={"worker_id": str(picks[0]), "status": "deployed"})
    assert r.status_code == 200
    # The outcomes are the API's: the same application rows.
    api = client.get(f"/api/v1/job-orders/{facts['job']}/pipeline").json()
    steps = {i["worker_id"]: i["status"] for i in api["items"]}
    assert steps[picks[0]] == "deployed" and steps[picks[1]] == "selected"
    assert steps[picks[2]] == "rejected" and api["selected"] >= 2
    # The shortlist export: chosen workers only, identity included, formula-safe.
    r = client.get(f"/officer/jobs/{facts['job']}/shortlist.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    ids = {int(x["worker_id"]) for x in rows}
    assert {picks[0], picks[1]} <= ids and picks[2] not in ids
    assert all(not str(v).startswith(("=", "+", "@")) for x in rows for v in x.values())


def test_api_pipeline_and_exclusions(client, facts):
    ex = client.get(f"/api/v1/job-orders/{facts['job']}/exclusions").json()
    assert sum(ex["first_rule"].values()) == ex["total"] - ex["eligible"]
    assert ex["eligible"] == len(facts["eligible"])
    r = client.post(f"/api/v1/job-orders/{facts['job']}/pipeline",
                    json={"worker_ids": [facts["eligible"][5]], "status": "rejected"})
    assert r.status_code == 422 and "reason" in r.text


def test_401_on_a_page_redirects_to_sign_in_and_back(app, facts):
    with TestClient(app) as c:
        target = f"/officer/jobs/{facts['job']}?lang=en"
        r = c.get(target, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        c.cookies.set("shetu_token", "expired.or.forged")
        r = c.get(target)
        assert "Your session has expired" in r.text
        nxt = re.search(r'name="next" value="([^"]+)"', r.text).group(1).replace("&amp;", "&")
        assert nxt == target
        r = c.post("/login", data={"username": "officer", "password": "shetu-demo",
                                   "next": nxt}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == target
        for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
            c.cookies.clear()
            r = c.post("/login", data={"username": "officer", "password": "shetu-demo",
                                       "next": evil}, follow_redirects=False)
            assert r.headers["location"] == "/", evil


def test_docs_and_redoc_load_nothing_from_another_site(app):
    with TestClient(app) as c:
        for path in ("/docs", "/redoc"):
            r = c.get(path)
            assert r.status_code == 200
            assert not re.search(r'(src|href)="https?://', r.text), r.text
            assert "https:" not in r.headers["content-security-policy"]
            for url in re.findall(r'(?:src|href)="(/[^"]+)"', r.text):
                assert c.get(url).status_code == 200, url
        for asset in ("swagger-ui-bundle.js", "redoc.standalone.js", "swagger-ui.css"):
            r = c.get(f"/static/docs/{asset}")
            assert r.status_code == 200 and len(r.content) > 100_000, asset


def test_workers_interest_appears_on_the_job_order(client, facts, seeded):
    wid = facts["eligible"][1]
    with session_scope(seeded["settings"].database_url) as s:
        if not s.scalar(select(ExpressionOfInterest.id).where(
                ExpressionOfInterest.worker_id == wid,
                ExpressionOfInterest.job_order_id == facts["job"])):
            s.add(ExpressionOfInterest(worker_id=wid, job_order_id=facts["job"]))
        name = s.get(Worker, wid).full_name
    r = client.get(f"/officer/jobs/{facts['job']}?lang=en")
    interests = r.text.split('id="interests"')[1].split("</ul>")[0]
    assert name in interests


def test_officer_pages_in_bangla(client, facts):
    for url in (f"/officer/jobs/{facts['job']}?lang=bn",
                f"/officer/jobs/{facts['job']}/workers/{facts['eligible'][0]}?lang=bn"):
        r = client.get(url)
        assert r.status_code == 200 and '<html lang="bn">' in r.text
        assert native_digits("1", "bn") in r.text or "১" in r.text
