"""The admin's and ministry's walk in a real browser (Debian's Chromium, `shetu serve`): the
admin creates an agency, an officer account and a job order; the officer submits it with a
demand letter; ministry staff verify it in their queue; it becomes matchable."""

from __future__ import annotations

import datetime as dt

from support import BROWSER_MARKS, PDF_LETTER, fits_the_phone, phone, shot

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
