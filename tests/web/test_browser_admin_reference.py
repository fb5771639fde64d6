"""The admin's exchange-rate and helpline pages in a real browser (Debian's Chromium, `shetu
serve`), at 360×740 and 1366×768, in Bangla and English: the admin adds a rate and a helpline
and edits it; the pages fit, have one h1 and no serious or critical axe-core violation; the
worker's page shows the helpline with its hours and source."""

from __future__ import annotations

import datetime as dt

import pytest
from support import AXE_SERIOUS, BROWSER_MARKS, SIZES, fits_the_phone, shot

pytestmark = BROWSER_MARKS


def sign_in(browser, base: str, user: str, size: str, lang: str):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport=SIZES[size], locale="en-US",
                              is_mobile=size == "phone", has_touch=size == "phone")
    page = ctx.new_page()
    page.goto(base + f"/?lang={lang}")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", "shetu-demo")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    return page


def check(page, axe: str, name: str) -> None:  # type: ignore[no-untyped-def]
    assert fits_the_phone(page), f"{name}: horizontal scroll"
    assert page.locator("h1").count() == 1, f"{name}: not one h1"
    page.evaluate(axe)
    bad = page.evaluate(AXE_SERIOUS)
    assert not bad, f"{name}: axe-core serious/critical violations: {bad}"
    shot(page, name)


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["bn", "en"])
def test_admin_keeps_rates_and_helplines_the_worker_sees(browser, server, axe_js, size, lang):
    tag = f"{size}-{lang}"
    name = f"Walk helpline {tag}"
    admin = sign_in(browser, server, "admin", size, lang)
    admin.goto(server + "/admin/rates")
    check(admin, axe_js, f"admin-rates-{tag}")
    admin.fill("#rate-currency", "SAR")
    admin.fill("#rate-bdt", "32.9")
    admin.fill("#rate-source", f"Walk reference rate {tag}")
    admin.click("main form button[type=submit]")
    admin.wait_for_load_state()
    assert admin.locator("td", has_text=f"Walk reference rate {tag}").count() == 1

    admin.goto(server + "/admin/helplines")
    check(admin, axe_js, f"admin-helplines-{tag}")
    admin.fill("#new-name", name)
    admin.fill("#new-number", "+880 9612 000000")
    admin.fill("#new-hours", "24 hours")
    admin.fill("#new-source", "https://www.probashi.gov.bd/site/page/walk")
    admin.fill("#new-checked", dt.date.today().isoformat())
    admin.click("main form[action='/admin/helplines'] button[type=submit]")
    admin.wait_for_load_state()
    card = admin.locator("div.card", has=admin.locator("h2", has_text=name))
    assert card.count() == 1
    card.locator("input[name=hours]").fill("Sun–Thu 9:00–17:00")
    card.locator("form:not([action$='/delete']) button[type=submit]").click()
    admin.wait_for_load_state()
    check(admin, axe_js, f"admin-helplines-edited-{tag}")
    admin.context.close()

    worker = sign_in(browser, server, "worker", size, lang)
    help_box = worker.locator("aside.help")
    assert help_box.locator("li", has_text=name).count() == 1
    assert "Sun–Thu 9:00–17:00" in help_box.inner_text()
    assert help_box.locator("a[href='tel:+8809612000000']").count() >= 1
    shot(worker, f"worker-helplines-{tag}")
    worker.context.close()
