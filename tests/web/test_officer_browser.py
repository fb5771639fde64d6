"""The officer's walk in Debian's Chromium at 1366×768 and 360×740: filter candidates, open
one, shortlist, select, export. Screenshots under SHETU_SCREENSHOTS when it is set."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import BROWSER_MARKS, fits_the_phone, shot

pytestmark = BROWSER_MARKS
SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 360, "height": 740}}


@pytest.mark.parametrize("size", sorted(SIZES))
def test_officer_filters_opens_shortlists_selects_exports(browser, server, size):
    ctx = browser.new_context(viewport=SIZES[size], locale="en-US", accept_downloads=True)
    page = ctx.new_page()

    page.goto(server + "/officer/jobs/1")  # signed out: to sign in, and back afterwards
    assert "/login?next=" in page.url
    page.fill("input[name=username]", "officer")
    page.fill("input[name=password]", "shetu-demo")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    page.goto(server + "/officer?lang=en&status=verified")
    shot(page, f"officer-job-orders-{size}")
    assert fits_the_phone(page)
    page.locator("#job-orders tr:has(.ok) a").first.click()  # a matchable one
    page.wait_for_load_state()
    shot(page, f"officer-job-order-{size}")
    assert fits_the_phone(page)
    # Each size takes its own district, so the two walks choose different workers.
    district = page.locator(f"#district option >> nth={1 if size == 'desktop' else 2}"
                            ).inner_text()
    page.select_option("#district", district)
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert "district=" in page.url
    rows = page.locator("#candidates a.worker")
    assert rows.count() >= 1
    rows.first.click()
    page.wait_for_load_state()
    shot(page, f"officer-candidate-{size}")
    assert page.locator("#masked-note").count() in (0, 1)
    page.click("button[value=shortlisted]")
    page.wait_for_load_state()
    assert page.inner_text("#step") == "shortlisted"
    assert page.locator("#masked-note").count() == 0  # identity shown once shortlisted
    page.click("button[value=selected]")
    page.wait_for_load_state()
    assert page.inner_text("#step") == "selected"
    page.click("main > p a >> nth=0")  # back to the job order
    page.wait_for_load_state()
    assert "selected of" in page.inner_text("#headcount")
    shot(page, f"officer-pipeline-{size}")
    with page.expect_download() as dl:
        page.click("#export")
    text = Path(dl.value.path()).read_text(encoding="utf-8")
    assert text.startswith("job_order_id,worker_id") and "selected" in text
    ctx.close()
