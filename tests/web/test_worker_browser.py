"""The worker's walk in a real browser (Debian's Chromium), at 360×740 and 1366×768, in Bangla
and English: sign in, open a job, express interest, edit the profile with a Bangla
self-description and see the eligible list change, report a fee above the ceiling (an audit
finding), sign out and press Back. On every worker page: no horizontal scroll, touch targets of
at least 44 px, one h1, and no serious or critical axe-core violation; a first visit to a worker
page (an empty cache) loads whole, Bengali font included, within 2 s on a slow-3G link.

axe-core comes from npm (``scripts/axe.sh``, run here if its cache is empty); screenshots go to
``$SHETU_SCREENSHOTS`` when it is set.
"""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest
from support import AXE_SERIOUS, BROWSER_MARKS, SIZES, shot

from registry.audit_rules.overview import audit_agency
from registry.db import session_scope

pytestmark = BROWSER_MARKS
# WebPageTest's "3G Slow" profile: 400 kbit/s down and up, 400 ms round trip.
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8,
           "uploadThroughput": 400_000 / 8}
PASSWORD = "shetu-demo"


@pytest.fixture(scope="module")
def api(server):
    """A worker's API client (to reset the profile between walks and read what is stored)."""
    r = httpx.post(server + "/api/v1/auth/token", data={"username": "worker",
                                                        "password": PASSWORD})
    r.raise_for_status()
    with httpx.Client(base_url=server, headers={
            "Authorization": f"Bearer {r.json()['access_token']}"}) as c:
        yield c


SMALL_TARGETS = """() => [...document.querySelectorAll(
  'main a, main button, main select, main textarea, main input:not([type=checkbox]),' +
  'main label.check, header a, header button')]
  .filter(e => e.offsetParent !== null && !e.classList.contains('default-button'))
  .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect()])
  .filter(([_, r]) => r.height < 44 || r.width < 44)
  .map(([h, r]) => h + ' ' + r.width + 'x' + r.height)"""


def check_page(page, axe_js: str, name: str) -> None:  # type: ignore[no-untyped-def]
    """What every worker page must pass, at the page's size and language."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
        f"{name}: horizontal scroll"
    assert page.locator("h1").count() == 1, f"{name}: not one h1"
    small = page.evaluate(SMALL_TARGETS)
    assert not small, f"{name}: touch targets under 44 px: {small[:5]}"
    page.evaluate(axe_js)
    result = page.evaluate(AXE_SERIOUS)
    assert not result, f"{name}: axe-core serious/critical violations: {result}"
    shot(page, name)


def almost_by_language(api) -> tuple[int, str] | None:  # type: ignore[no-untyped-def]
    """A job the worker misses only a language for, and that language."""
    for j in api.get("/api/v1/me/eligible-jobs").json()["not_eligible"]:
        rules = [m for m in j["missing"] if m["kind"] != "skill"]
        if len(rules) == 1 and rules[0]["kind"] == "language":
            return j["job_order_id"], rules[0]["what"].rsplit(":", 1)[1].split(",")[0].strip()
    return None


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["bn", "en"])
def test_worker_walk(browser, server, api, axe_js, seeded, size, lang):
    me = api.get("/api/v1/me").json()
    original = {"languages": ["Bangla", "English", "Arabic"], "self_description": ""}
    api.patch("/api/v1/me", json=original).raise_for_status()
    target = almost_by_language(api)
    ctx = browser.new_context(viewport=SIZES[size], locale="en-US", bypass_csp=True,
                              is_mobile=size == "phone", has_touch=size == "phone")
    page = ctx.new_page()
    page.goto(server + f"/?lang={lang}")
    page.fill("input[name=username]", "worker")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/worker")
    assert page.get_attribute("html", "lang") == lang
    tag = f"{size}-{lang}"
    check_page(page, axe_js, f"worker-jobs-{tag}")

    # open a job (one with a published ceiling) and express interest
    jobs = api.get("/api/v1/me/eligible-jobs").json()["items"]
    job = next(j for j in jobs if j["cost_ceiling_bdt"])
    page.click(f"article.job a[href='/worker/jobs/{job['job_order_id']}']")
    page.wait_for_load_state()
    check_page(page, axe_js, f"worker-job-{tag}")
    if page.locator("form[action$='/withdraw'] button").count():
        page.click("form[action$='/withdraw'] button")  # an earlier walk's interest
        page.wait_for_load_state()
    page.click("form[action$='/interest'] button")
    page.wait_for_load_state()
    assert page.locator("[role=status]").count() == 1
    assert page.locator("form[action$='/withdraw'] button").count() == 1
    interests = api.get("/api/v1/me/interests").json()["items"]
    assert any(i["job_order_id"] == job["job_order_id"] and i["status"] == "active"
               for i in interests)

    # edit the profile: a Bangla self-description, a language, a skill found as one types
    page.click("nav.worker-nav a[href='/worker/profile']")
    page.wait_for_load_state()
    check_page(page, axe_js, f"worker-profile-{tag}")
    page.fill("#self_description", "আমি মালয়েশিয়ায় তিন বছর রাজমিস্ত্রি হিসেবে কাজ করেছি")
    if target:
        page.check(f"input[name=languages][value='{target[1]}']")
    page.fill("#skill_q", "weld")  # the script shows suggestions without a page load
    page.wait_for_selector("#found-skills input[name=skills]", timeout=10_000)
    page.locator("#found-skills input[name=skills]").first.check()
    page.click("button.primary[value=save]")
    page.wait_for_load_state()
    assert page.locator("[role=status]").count() == 1
    saved = api.get("/api/v1/me").json()
    assert saved["self_description"].startswith("আমি মালয়েশিয়ায়")
    assert len(saved["skills"]) >= len(me["skills"])
    if target:
        page.click("nav.worker-nav a[href='/worker']")
        page.wait_for_load_state()
        assert page.locator(f"article.job a[href='/worker/jobs/{target[0]}']").count() == 1, \
            "the job the added language qualifies for is not in the eligible list"

    # report a fee above the destination's ceiling from the job page's link
    page.goto(server + f"/worker/jobs/{job['job_order_id']}")
    page.click("section.rule a[href^='/worker/report-fee']")
    page.wait_for_load_state()
    check_page(page, axe_js, f"worker-fee-{tag}")
    page.fill("#amount_bdt", str(job["cost_ceiling_bdt"] + 60_000))
    page.select_option("#purpose", "recruitment_fee")
    page.fill("#paid_on", (dt.date.today() - dt.timedelta(days=2)).isoformat())
    page.click("button.primary")
    page.wait_for_url("**/worker/reports**")
    check_page(page, axe_js, f"worker-reports-{tag}")
    newest = api.get("/api/v1/me/fee-reports").json()["items"][0]
    assert newest["amount_bdt"] == job["cost_ceiling_bdt"] + 60_000
    with session_scope(seeded["settings"].database_url) as s:
        audit = audit_agency(s, seeded["settings"].data_dir, job["agency"]["id"],
                             dt.date.today())
    assert any(f["rule"] == "fee_above_ceiling" and any(
        e["kind"] == "fee_report" and e["id"] == newest["id"] for e in f["evidence"])
        for f in audit["findings"]), json.dumps(audit["findings"])[:1000]
    page.click("nav.worker-nav a[href='/worker/complain']")
    page.wait_for_load_state()
    check_page(page, axe_js, f"worker-complain-{tag}")

    # sign out, press Back: the page is not shown again
    page.goto(server + "/worker/profile")
    page.click("header button[type=submit]")
    page.wait_for_load_state()
    page.go_back()
    page.wait_for_load_state()
    assert "/login" in page.url or page.locator("input[name=password]").count() == 1
    assert "মালয়েশিয়ায়" not in page.content()
    ctx.close()


NAVIGATION = """() => {
    const n = performance.getEntriesByType('navigation')[0];
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    const res = performance.getEntriesByType('resource');
    return {path: location.pathname, load: n.loadEventEnd, fcp: fcp ? fcp.startTime : null,
            done: Math.max(n.loadEventEnd, ...res.map(r => r.responseEnd)),
            bytes: n.transferSize + res.reduce((s, r) => s + r.transferSize, 0),
            files: res.map(r => r.name.replace(location.origin, '') + ' ' + r.transferSize)};
}"""


def first_visit(browser, url: str, token: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    """Open ``url`` in a new phone context (an empty cache) over the slow-3G link; the page's
    timing once its load event has run and every file it asked for has come (``done``: Chrome
    may fire the load event before a preloaded font has arrived)."""
    ctx = browser.new_context(viewport=SIZES["phone"], locale="en-US", is_mobile=True,
                              has_touch=True)
    if token:
        ctx.add_cookies([{"name": "shetu_token", "value": token, "url": url}])
    page = ctx.new_page()
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    page.goto(url, wait_until="load", timeout=60_000)
    page.wait_for_load_state("networkidle")  # the font's timing is there once it has come
    timing = page.evaluate(NAVIGATION)
    ctx.close()
    return timing


@pytest.mark.parametrize("lang", ["bn", "en"])
def test_a_worker_page_loads_within_2_s_on_slow_3g_on_a_first_visit(browser, server, lang):
    """The whole load (to the load event: the page, its stylesheets, script and Bengali font)
    of the sign-in page and of worker pages, each in a new browser with an empty cache, over
    WebPageTest's "3G Slow" link (400 kbit/s each way, 400 ms round trip; Chrome DevTools' own
    "Slow 3G" preset adds 2 s to every request, so no page could load in 2 s on it)."""
    r = httpx.post(server + "/login", data={"username": "worker", "password": PASSWORD})
    token = r.cookies["shetu_token"]
    job = httpx.get(server + "/api/v1/me/eligible-jobs", headers={
        "Authorization": f"Bearer {token}"}).json()["items"][0]["job_order_id"]
    urls = [f"/login?lang={lang}"] + [f"{p}?lang={lang}" for p in (
        "/worker", f"/worker/jobs/{job}", "/worker/profile")]
    for url in urls:  # the server's first answer (templates, catalogs) is not the browser's
        httpx.get(server + url, cookies={"shetu_token": token}, timeout=60).raise_for_status()
    first_visit(browser, server + "/health")  # the browser's own start is not the page's time
    timings = []
    for url in urls:  # best of two visits, each in a new browser: the machine's noise is not it
        visits = [first_visit(browser, server + url, None if "login" in url else token)
                  for _ in range(2)]
        timings.append(min(visits, key=lambda t: t["done"]))
    for t in timings:
        print(f"slow 3G, first visit, {lang}: {t['path']} all in {t['done']:.0f} ms (load event "
              f"{t['load']:.0f}, first paint {t['fcp']}), {t['bytes']} bytes: {t['files']}")
    slow = [(t["path"], round(t["done"])) for t in timings if not 0 < t["done"] < 2000]
    assert not slow, f"pages not loaded within 2 s on slow 3G (ms): {slow}"
    assert all(any("/static/fonts/" in f for f in t["files"]) for t in timings), \
        "the Bengali font was not loaded: the measure would not count it"


def test_a_second_page_fetches_no_static_file_again(browser, server):
    """Stylesheets, script and font have content-hashed URLs cached for a year: after one page,
    the next one costs only its HTML."""
    ctx = browser.new_context(viewport=SIZES["phone"])
    page = ctx.new_page()
    page.goto(server + "/login?lang=bn", wait_until="networkidle")
    page.goto(server + "/login?lang=en", wait_until="networkidle")
    files = page.evaluate("performance.getEntriesByType('resource').map(r => [r.name, "
                          "r.transferSize])")
    ctx.close()
    assert any("/static/fonts/" in name for name, _ in files), files
    assert all(size == 0 for name, size in files if "/static/" in name), files
