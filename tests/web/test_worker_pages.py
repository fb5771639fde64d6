"""The worker's pages without a browser: one h1, labelled fields with autocomplete, no-store,
forms that work without JavaScript (interest, profile, fee report, complaint), and bad input
shown on the form with nothing stored."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from registry import portal
from registry.db import session_scope
from registry.models import Complaint, FeeReport, Worker

PAGES = ("/worker", "/worker/profile", "/worker/report-fee", "/worker/complain",
         "/worker/reports")


class Form(HTMLParser):
    """Collect h1s, labels and form fields of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.h1 = 0
        self.labels: set[str] = set()
        self.fields: list[dict[str, str | None]] = []
        self.in_label = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        a = dict(attrs)
        self.h1 += tag == "h1"
        if tag == "label":
            self.in_label += 1
            if a.get("for"):
                self.labels.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden",):
            self.fields.append({**a, "_tag": tag, "_wrapped": "yes" if self.in_label else None})

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag == "label":
            self.in_label -= 1


def parse(html: str) -> Form:
    p = Form()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def client(seeded):
    with TestClient(create_app(seeded["settings"], indexer=seeded["indexer"],
                               warm_up=False)) as c:
        r = c.post("/login", data={"username": "worker", "password": "shetu-demo"},
                   follow_redirects=False)
        assert r.status_code == 303
        yield c


def _count(seeded, model) -> int:  # type: ignore[no-untyped-def]
    with session_scope(seeded["settings"].database_url) as s:
        return s.scalar(select(func.count()).select_from(model))


def _first_job(client) -> str:  # type: ignore[no-untyped-def]
    m = re.search(r'href="(/worker/jobs/\d+)"', client.get("/worker").text)
    assert m, "no job link on the worker page"
    return m.group(1)


@pytest.mark.parametrize("lang", ["bn", "en"])
def test_every_worker_page_has_one_h1_and_labelled_fields(client, lang):
    for path in (*PAGES, _first_job(client)):
        r = client.get(path, params={"lang": lang})
        assert r.status_code == 200, (path, r.text[:300])
        assert r.headers["cache-control"] == "no-store"
        assert f'<html lang="{lang}">' in r.text
        page = parse(r.text)
        assert page.h1 == 1, (path, page.h1)
        for f in page.fields:
            if f.get("type") in ("submit",):
                continue
            assert f.get("id") in page.labels or f["_wrapped"], (path, f)
            assert f.get("autocomplete") or f["_wrapped"], (path, f)  # checkboxes inside labels
        # the helplines box is on every worker page (empty, with the admin's note, until added)
        assert 'id="help-title"' in r.text


def test_job_page_states_the_cost_rule_and_links_the_prefilled_fee_form(client):
    jobs = re.findall(r'href="(/worker/jobs/\d+)"', client.get("/worker").text)
    urls = list(dict.fromkeys(jobs))
    pages = [client.get(j, params={"lang": "en"}).text for j in urls]
    with_ceiling = [h for h in pages if "ceiling for all migration costs" in h]
    assert with_ceiling, "no job to a destination with a published ceiling"
    assert all("about ৳" in h for h in pages), "a wage without its taka amount"
    html = with_ceiling[0]
    assert "employer-pays principle" in html and "is illegal" in html
    assert re.search(r"ceiling for all migration costs to .* is <strong>৳[\d,]+</strong>", html)
    assert re.search(r"licence <span lang=\"en\">[^<]+</span>", html)
    # the ceiling's source date in words, and in Bangla with Bangla digits
    assert re.search(r"\(source: [^<]+, \d{1,2} \w+ \d{4}\)</small>", html), html[-3000:]
    bn = client.get(urls[pages.index(html)], params={"lang": "bn"}).text
    when = re.search(r"\(সূত্র: .+?, ([^<]+)\)</small>", bn)
    assert when and not re.search(r"[0-9]", when.group(1)), when
    assert re.search(r"about ৳[\d,]+ \(exchange rate of \d+ \w+ \d{4}\)", html), \
        "the wage is not shown in taka with the rate's date"
    link = re.search(r'href="(/worker/report-fee\?job_order_id=(\d+)&amp;agency_id=(\d+))"', html)
    assert link
    form = client.get(link.group(1).replace("&amp;", "&") + "&lang=en").text
    assert f'<option value="{link.group(3)}" lang="en" selected>' in form
    assert f'<option value="{link.group(2)}" lang="en" selected>' in form
    assert "any demand above it is illegal" in form


def test_interest_without_javascript(client):
    job = _first_job(client)
    r = client.post(job + "/interest", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?done=interest")
    html = client.get(r.headers["location"] + "&lang=en").text
    assert "Your interest was sent" in html and "Withdraw my interest" in html
    assert "interest sent" in client.get("/worker/reports", params={"lang": "en"}).text
    r = client.post(job + "/withdraw", follow_redirects=False)
    assert r.status_code == 303
    html = client.get(r.headers["location"] + "&lang=en").text
    assert "I am interested" in html and "withdrawn" in html
    assert client.post("/worker/jobs/1999999/interest").status_code == 404


def test_profile_edit_moves_a_job_into_the_eligible_list(client, seeded):
    page = client.get("/worker", params={"lang": "en"}).text
    almost = page.split('id="almost"')[1]
    m = re.search(r'href="(/worker/jobs/\d+)".*?language required: (\w+)', almost, re.S)
    if m is None:
        pytest.skip("the seed has no job the demo worker misses only a language for")
    job, language = m.groups()
    with session_scope(seeded["settings"].database_url) as s:
        w = s.get(Worker, client.get("/api/v1/me").json()["id"])
        langs, skills = list(w.languages), list(w.skills)
    # "Find skills" (no JavaScript) lists suggestions and stores nothing
    r = client.post("/worker/profile", data={"form": "profile", "action": "search",
                                             "skill_q": "weld", "languages": langs,
                                             "skills": skills, "consent": "yes"})
    assert r.status_code == 200 and 'name="skills" value="http://data.europa.eu/esco/skill/' \
        in r.text.split('id="found-skills"')[1]
    r = client.post("/worker/profile", follow_redirects=False, data={
        "form": "profile", "action": "save", "self_description":
        "আমি মালয়েশিয়ায় তিন বছর নির্মাণ শ্রমিক হিসেবে কাজ করেছি", "languages": [*langs, language],
        "skills": skills, "consent": "yes", "phone": "01700000000", "district": "Cumilla"})
    assert r.status_code == 303, r.text[:500]
    after = client.get("/worker", params={"lang": "en"}).text
    eligible, now_almost = after.split('id="almost"')
    assert f'href="{job}"' in eligible and f'href="{job}"' not in now_almost
    profile = client.get("/worker/profile", params={"lang": "bn"}).text
    assert "আমি মালয়েশিয়ায়" in profile
    # an empty post (not this page's form) changes nothing
    assert client.post("/worker/profile").status_code == 422
    assert "আমি মালয়েশিয়ায়" in client.get("/worker/profile").text


def test_bad_fee_report_is_shown_on_the_form_and_nothing_is_stored(client, seeded):
    before = _count(seeded, FeeReport)
    for data in ({}, {"agency_id": "1", "amount_bdt": "-3", "purpose": "visa",
                      "paid_on": dt.date.today().isoformat()},
                 {"agency_id": "1", "amount_bdt": "5000", "purpose": "visa",
                  "paid_on": (dt.date.today() + dt.timedelta(days=40)).isoformat()},
                 {"agency_id": "1999999", "amount_bdt": "5000", "purpose": "visa",
                  "paid_on": dt.date.today().isoformat()}):
        r = client.post("/worker/report-fee", data=data, params={"lang": "en"})
        assert r.status_code == 422 and "Not stored:" in r.text, r.text[:300]
        assert parse(r.text).h1 == 1
    assert _count(seeded, FeeReport) == before
    # in Bangla the worker reads the form's own label and what to do, in Bangla and its digits
    bad = {"agency_id": "1", "amount_bdt": "-3", "purpose": "visa",
           "paid_on": dt.date.today().isoformat()}
    alert = _alert(client.post("/worker/report-fee", data=bad, params={"lang": "bn"}).text)
    assert "কত টাকা দিয়েছেন" in alert and "০-এর বেশি একটি সংখ্যা লিখুন" in alert, alert
    assert "amount_bdt" not in alert and 'lang="en"' not in alert
    alert = _alert(client.post("/worker/report-fee", data={**bad, "amount_bdt": "lots"},
                               params={"lang": "bn"}).text)
    assert "অঙ্কে একটি সংখ্যা লিখুন" in alert, alert
    # a rule's own sentence stays English, marked as such, after the label in Bangla
    alert = _alert(client.post("/worker/report-fee", params={"lang": "bn"}, data={
        **bad, "amount_bdt": "5000",
        "paid_on": (dt.date.today() + dt.timedelta(days=40)).isoformat()}).text)
    assert "টাকা দেওয়ার তারিখ" in alert and '<span lang="en">' in alert, alert
    assert _count(seeded, FeeReport) == before
    r = client.post("/worker/report-fee", follow_redirects=False, data={
        "agency_id": "1", "amount_bdt": "250,000", "purpose": "recruitment_fee",
        "paid_on": dt.date.today().isoformat(), "note": "নগদ"})
    assert r.status_code == 303 and _count(seeded, FeeReport) == before + 1
    html = client.get("/worker/reports", params={"lang": "bn"}).text
    assert "৳২,৫০,০০০" in html and "পাওয়া গেছে" in html


def _alert(html: str) -> str:
    return html.split('role="alert"')[1].split("</p>")[0]


def test_complaint_form(client, seeded):
    before = _count(seeded, Complaint)
    r = client.post("/worker/complain", data={"agency_id": "1", "category": "gossip",
                                              "text": "x"}, params={"lang": "bn"})
    assert r.status_code == 422 and _count(seeded, Complaint) == before
    assert "কী ঘটেছে" in _alert(r.text) and "তালিকা থেকে একটি বেছে নিন" in _alert(r.text)
    r = client.post("/worker/complain", follow_redirects=False, data={
        "agency_id": "1", "category": "passport_retention", "text": "পাসপোর্ট আটকে রেখেছে"})
    assert r.status_code == 303 and _count(seeded, Complaint) == before + 1
    assert "আমার পাসপোর্ট আটকে রাখা হয়েছে" in client.get("/worker/reports",
                                                        params={"lang": "bn"}).text


def test_helplines_appear_once_the_admin_adds_one_with_its_source(client, seeded):
    assert "No helpline number has been entered yet" in client.get(
        "/worker", params={"lang": "en"}).text
    with session_scope(seeded["settings"].database_url) as s:
        portal.add_helpline(s, "Test helpline", "+880-TEST", "test fixture", dt.date.today())
    html = client.get("/worker/reports", params={"lang": "en"}).text
    assert 'href="tel:+880-TEST"' in html and "test fixture" in html


def test_other_roles_cannot_open_worker_pages(seeded):
    with TestClient(create_app(seeded["settings"], indexer=seeded["indexer"],
                               warm_up=False)) as c:
        c.post("/login", data={"username": "officer", "password": "shetu-demo"})
        for path in PAGES:
            assert c.get(path).status_code == 403
