"""The web pages in a real browser (Debian chromium driven by Playwright)."""

from __future__ import annotations

from support import BROWSER_MARKS

pytestmark = BROWSER_MARKS


def login(browser, base, user):
    page = browser.new_page()
    page.goto(base + "/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", "shetu-demo")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def test_wrong_password_shows_an_error(browser, server):
    page = browser.new_page()
    page.goto(server + "/")
    page.fill("input[name=username]", "officer")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert "Wrong username or password" in page.content()


def test_worker_sees_jobs_with_cost_ceiling_and_licence_in_either_language(browser, server):
    page = login(browser, server, "worker")
    assert page.url.endswith("/worker")
    text = page.inner_text("main")  # Bangla by default for a worker, one language at a time
    assert "আপনি যেসব চাকরির যোগ্য" in text and "Jobs you are eligible for" not in text
    first = page.inner_text(".job >> nth=0")
    assert "খরচ দেবেন নিয়োগকর্তা" in first and "লাইসেন্সপ্রাপ্ত" in first
    assert "৳" in first or "সর্বোচ্চ খরচ প্রকাশ করেনি" in first
    page.goto(server + "/worker?lang=en")
    text = page.inner_text("main")
    assert "Jobs you are eligible for" in text and "আপনি যেসব চাকরির যোগ্য" not in text
    first = page.inner_text(".job >> nth=0")
    assert "Employer pays" in first and "licensed" in first
    assert "Legal cost ceiling" in first or "No government cost ceiling" in first


def test_officer_opens_ranked_candidates(browser, server):
    page = login(browser, server, "officer")
    assert page.url.endswith("/officer")
    page.click("table tr:has(.ok) a >> nth=0")  # a matchable job order
    page.wait_for_load_state()
    rows = page.locator("#candidates tr")
    assert rows.count() > 1
    scores = [float(rows.nth(i).locator("td >> nth=2").get_attribute("data-score"))
              for i in range(1, rows.count())]
    assert scores == sorted(scores, reverse=True)


def test_auditor_sees_agencies_riskiest_first(browser, server):
    page = login(browser, server, "auditor")
    assert page.url.endswith("/auditor")
    bars = page.locator("ol.agencies meter")
    assert bars.count() >= 5
    scores = [float(bars.nth(i).get_attribute("value")) for i in range(bars.count())]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    assert page.locator("a[href*='format=csv']").count() == 1
