"""The auditor's walk in a real browser (Debian chromium), at 1366×768 and on a 360×740 phone:
open the riskiest agency, follow a finding to its evidence, filter the access log and download
it; charts drawn; no page-level horizontal scroll on the phone. Screenshots when
SHETU_SCREENSHOTS is set."""

from __future__ import annotations

import csv
import io

import pytest
from support import BROWSER_MARKS, fits_the_phone, shot, sign_in

pytestmark = BROWSER_MARKS
SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 360, "height": 740}}


@pytest.mark.parametrize("size", sorted(SIZES))
def test_auditor_walk(browser, server, size):  # noqa: F811
    phone = size == "phone"
    ctx = browser.new_context(viewport=SIZES[size], locale="en-US", is_mobile=phone,
                              has_touch=phone, accept_downloads=True)
    page = ctx.new_page()
    sign_in(page, server, "auditor")
    assert page.url.endswith("/auditor")
    scores = [float(v) for v in page.locator("ol.agencies meter").evaluate_all(
        "ms => ms.map(m => m.value)")]
    assert scores and scores == sorted(scores, reverse=True)
    assert not phone or fits_the_phone(page)
    shot(page, f"audit-agencies-{size}")
    riskiest = page.inner_text("ol.agencies li >> nth=0 >> h2")
    page.click("ol.agencies li >> nth=0 >> h2 a")
    page.wait_for_load_state()
    assert page.inner_text("h1") == riskiest
    assert page.locator("article.finding").count() > 0
    images = page.locator(".charts img")
    assert images.count() == 4
    page.wait_for_function("[...document.querySelectorAll('.charts img')]"
                           ".every(i => i.complete && i.naturalWidth > 0)")
    assert not phone or fits_the_phone(page)
    shot(page, f"audit-agency-{size}")
    finding = page.locator("article.finding", has=page.locator(".evidence a[href*='evidence']"))
    finding.first.locator("summary").click()
    link = finding.first.locator(".evidence a[href*='evidence']").first
    kind_and_id = link.inner_text()
    link.click()
    page.wait_for_load_state()
    assert "/auditor/evidence?kind=" in page.url
    assert page.inner_text("h1") == kind_and_id and page.locator("dl.facts dt").count() > 2
    assert not phone or fits_the_phone(page)
    shot(page, f"audit-evidence-{size}")
    page.goto(server + "/api/v1/workers/1")  # the auditor reads a profile: the log shows it
    page.goto(server + "/auditor/access-log")
    page.fill("input[name=username]", "auditor")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert "username=auditor" in page.url
    entries = page.locator("ol.access li.card")
    assert entries.count() >= 1
    assert all("auditor" in entries.nth(i).inner_text() for i in range(entries.count()))
    assert not phone or fits_the_phone(page)
    shot(page, f"audit-access-log-{size}")
    with page.expect_download() as got:
        page.click("#access-csv")
    text = open(got.value.path(), encoding="utf-8").read()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and {r["username"] for r in rows} == {"auditor"}
    assert any(r["worker_ids"] == "1" and r["action"] == "read_profile" for r in rows)
    ctx.close()
