"""The admin's and ministry's walk in a real browser (Debian's Chromium, `shetu serve`): the
admin creates an agency, an officer account and a job order; the officer submits it with a
demand letter; ministry staff verify it in their queue; it becomes matchable."""

from __future__ import annotations

import datetime as dt

from support import BROWSER_MARKS, PDF_LETTER, SIZES, fits_the_phone, phone, shot

pytestmark = BROWSER_MARKS
PASSWORD = "walk-password-42"


def _sign_in(page, base: str, user: str, password: str = "shetu-demo") -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/?lang=en")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_admin_to_matchable_walk(browser, server, tmp_path):
    letter = tmp_path / "demand-letter.pdf"
    letter.write_bytes(PDF_LETTER)
    admin = phone(browser, "en-US").new_page()
    _sign_in(admin, server, "admin")
    admin.goto(server + "/admin/agencies")
    admin.fill("#ag-name", "Walk Overseas Ltd")
    admin.fill("#ag-licence", "RL-WALK-1")
    admin.fill("#ag-until", (dt.date.today() + dt.timedelta(days=500)).isoformat())
    admin.click("text=Add agency")
    admin.wait_for_load_state()
    assert admin.locator("h2", has_text="Walk Overseas Ltd").count() == 1
    assert fits_the_phone(admin)
    shot(admin, "admin-agencies-360")
    admin.goto(server + "/admin/users")
    admin.fill("#new-username", "walk.officer")
    admin.fill("#new-password", PASSWORD)
    admin.select_option("#new-role", "officer")
    admin.select_option("#new-agency", label="Walk Overseas Ltd")
    admin.click("text=Add account")
    admin.wait_for_load_state()
    assert admin.locator("h2", has_text="walk.officer").count() == 1
    assert fits_the_phone(admin)
    admin.goto(server + "/admin/job-orders")
    admin.select_option("#jo-agency", label="Walk Overseas Ltd")
    admin.fill("#jo-title", "Walk welder")
    admin.fill("#jo-destination", "Saudi Arabia")
    admin.fill("#jo-headcount", "5")
    admin.fill("#jo-deadline", (dt.date.today() + dt.timedelta(days=45)).isoformat())
    admin.click("text=Add job order")
    admin.wait_for_load_state()
    job_url = admin.url
    assert "/demand/jobs/" in job_url and admin.locator("#not-matchable").count() == 1
    assert fits_the_phone(admin)

    officer = phone(browser, "en-US").new_page()
    _sign_in(officer, server, "walk.officer", PASSWORD)
    officer.goto(job_url + "?lang=en")
    officer.fill("#att-number", "KSA-WALK-77")
    officer.fill("#att-date", (dt.date.today() - dt.timedelta(days=2)).isoformat())
    officer.fill("#att-mission", "Bangladesh Embassy, Riyadh (labour wing)")
    officer.fill("#att-permission", "BMET-RP-WALK")
    officer.set_input_files("#att-letter", str(letter))
    officer.click("#submit-form button[type=submit]")
    officer.wait_for_load_state()
    assert "awaiting verification" in officer.inner_text("#job-status")
    assert fits_the_phone(officer)
    shot(officer, "demand-job-submitted-360")

    ministry = phone(browser, "en-US").new_page()
    _sign_in(ministry, server, "ministry")
    assert ministry.url.endswith("/admin/demand")
    card = ministry.locator("section.card", has_text="Walk welder")
    assert card.count() == 1 and "KSA-WALK-77" in card.inner_text()
    assert fits_the_phone(ministry)
    shot(ministry, "ministry-queue-360")
    card.locator("button[value=verify]").click()
    ministry.wait_for_load_state()
    assert ministry.locator("section.card", has_text="Walk welder").count() == 0

    officer.goto(job_url + "?lang=en")
    assert officer.locator("#matchable").count() == 1
    assert "verified" in officer.inner_text("#job-status")
    assert "walk.officer" in officer.inner_text("main") and "ministry" in officer.inner_text(
        "main")  # the history: who submitted, who verified


def _both_sizes(browser, page_url: str, name: str) -> None:  # type: ignore[no-untyped-def]
    """Screenshot a page at 1366×768 and 360×740 (signed in as admin in each context); the
    phone-sized one must not scroll sideways."""
    desk = browser.new_context(viewport=SIZES["desktop"], locale="en-US")
    for ctx, suffix in ((desk, "desktop"), (phone(browser, "en-US"), "360")):
        page = ctx.new_page()
        _sign_in(page, page_url.split("/admin")[0], "admin")
        page.goto(page_url)
        if suffix == "360":
            assert fits_the_phone(page), page_url
        shot(page, f"{name}-{suffix}")
        ctx.close()


def test_admin_edits_and_deactivates_records(browser, server):
    admin = phone(browser, "en-US").new_page()
    _sign_in(admin, server, "admin")
    admin.goto(server + "/admin/workers")
    assert admin.locator("#records tr").count() > 10 and fits_the_phone(admin)
    worker_name = admin.locator("#records tr").nth(1).locator("td").nth(1).inner_text()
    admin.fill("#q", worker_name)
    admin.click("form[role=search] button[type=submit]")
    admin.wait_for_load_state()
    assert worker_name in admin.inner_text("#records")
    admin.locator("#records td a").first.click()
    admin.wait_for_load_state()
    worker_url = admin.url
    admin.fill("#edit-full_name", "Walk Edited Worker")
    admin.fill("#edit-district", "Sylhet")
    admin.click("#edit-form button[type=submit]")
    admin.wait_for_load_state()
    assert admin.input_value("#edit-district") == "Sylhet"
    assert "Walk Edited Worker" in admin.inner_text("#trail")  # before/after in the trail
    admin.click("#active-form button[value=no]")
    admin.wait_for_load_state()
    assert "deactivated" in admin.inner_text("#record-state")
    assert fits_the_phone(admin)
    _both_sizes(browser, worker_url, "admin-worker")
    _both_sizes(browser, server + "/admin/workers", "admin-workers")

    admin.goto(server + "/admin/employers")
    admin.fill("#new-name", "Walk Gulf Tiles LLC")
    admin.fill("#new-country", "Oman")
    admin.click("#add-form button[type=submit]")
    admin.wait_for_load_state()
    employer_url = admin.url
    assert "/admin/employers/" in employer_url
    admin.fill("#edit-sector", "construction")
    admin.click("#edit-form button[type=submit]")
    admin.wait_for_load_state()
    admin.click("#active-form button[value=no]")
    admin.wait_for_load_state()
    assert "deactivated" in admin.inner_text("#record-state")
    _both_sizes(browser, employer_url, "admin-employer")
    _both_sizes(browser, server + "/admin/employers", "admin-employers")

    admin.goto(server + "/admin/agencies")
    admin.locator("a", has_text="Edit all details").first.click()
    admin.wait_for_load_state()
    agency_url = admin.url
    admin.fill("#edit-phone", "+880 2 5555 0199")
    admin.click("#edit-form button[type=submit]")
    admin.wait_for_load_state()
    assert admin.input_value("#edit-phone") == "+880 2 5555 0199"
    _both_sizes(browser, agency_url, "admin-agency")

    admin.goto(server + "/admin/job-orders")
    admin.locator("table a", has_text="Edit").first.click()
    admin.wait_for_load_state()
    job_url = admin.url
    admin.fill("#edit-headcount", "0")  # refused by the server, naming the field
    admin.locator("#edit-headcount").evaluate("e => e.removeAttribute('min')")
    admin.click("#edit-form button[type=submit]")
    admin.wait_for_load_state()
    assert "headcount" in admin.inner_text("[role=alert]")
    if admin.locator("#active-form").count():
        admin.fill("#close-reason", "walk: filled")
        admin.click("#active-form button[type=submit]")
        admin.wait_for_load_state()
        assert admin.locator("#active-form").count() == 0
    _both_sizes(browser, job_url, "admin-job-order")
