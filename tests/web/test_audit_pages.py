"""The auditor's pages without a browser: filters, an agency's findings with evidence links that
open, charts as SVG, the access log's filters and its CSV link, Bangla, errors as pages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from test_pages import sign_in, unmarked_english

from api.app import create_app


@pytest.fixture(scope="module")
def client(seeded):
    app = create_app(seeded["settings"], indexer=seeded["indexer"], warm_up=False)
    with TestClient(app) as c:
        sign_in(c, "auditor")
        yield c


def _agency_links(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'href="/auditor/agencies/(\d+)"', html)]


def test_agencies_filter_by_risk_level_and_search(client):
    page = client.get("/auditor?lang=en").text
    ids = _agency_links(page)
    assert len(ids) >= 5 and "Download CSV" in page
    high = client.get("/auditor?risk=high").text
    assert set(_agency_links(high)) < set(ids) or 'risk-high' in high
    assert all(c == "high" for c in re.findall(r'class="card agency risk-(\w+)"', high))
    none = client.get("/auditor?q=no-such-agency-anywhere").text
    assert _agency_links(none) == [] and "No agency matches these filters." in none
    assert 'href="/api/v1/audit/agencies?risk=high&amp;sort=risk&amp;format=csv"' in high


def test_agency_page_links_every_finding_to_evidence_that_opens(client):
    top = _agency_links(client.get("/auditor").text)[0]
    page = client.get(f"/auditor/agencies/{top}").text
    links = sorted(set(re.findall(r'href="(/auditor/evidence\?kind=\w+&amp;id=\d+)"', page)))
    assert links, "no finding links to its evidence"
    for href in links[:5]:
        r = client.get(href.replace("&amp;", "&"))
        assert r.status_code == 200 and f'href="/auditor/agencies/{top}"' in r.text
        # the facts in words: field names without underscores, dates to the minute
        facts = r.text.split('class="card facts"')[1].split("</dl>")[0]
        assert "_id<" not in facts and "created at" in facts
        assert not re.search(r"\d\d:\d\d:\d\d", facts) and ">True<" not in facts
    for name in ("fees", "placements", "complaints", "selection"):
        assert f"chart.svg?name={name}" in page
        svg = client.get(f"/auditor/agencies/{top}/chart.svg?name={name}")
        assert svg.headers["content-type"].startswith("image/svg+xml")
        assert svg.text.startswith("<svg") and "<script" not in svg.text
    assert 'id="job-' in page  # the job orders, with their history, are on the page


def test_access_log_page_filters_and_links_its_csv(client):
    client.get("/api/v1/workers/1")  # the auditor reads a profile: logged
    page = client.get("/auditor/access-log?username=auditor&lang=en").text
    assert "(auditor)" in page and "#1" in page
    assert 'href="/api/v1/audit/access-log?username=auditor&amp;limit=10000&amp;format=csv"' \
        in page
    bad = client.get("/auditor/access-log?since=yesterday&worker_id=abc")
    assert bad.status_code == 422 and "since" in bad.text and "worker_id" in bad.text


def test_audit_pages_in_bangla_mark_every_english_word(client):
    top = _agency_links(client.get("/auditor").text)[0]
    for path in ("/auditor", f"/auditor/agencies/{top}", "/auditor/access-log"):
        r = client.get(path + "?lang=bn")
        assert r.status_code == 200
        assert unmarked_english(r.text) == [], (path, unmarked_english(r.text)[:20])


def test_unknown_agency_and_evidence_are_404_pages(client):
    assert client.get("/auditor/agencies/999999").status_code == 404
    r = client.get("/auditor/evidence?kind=fee_report&id=999999")
    assert r.status_code == 404 and "<html" in r.text
    assert client.get("/auditor/evidence?kind=worker&id=1").status_code == 422
