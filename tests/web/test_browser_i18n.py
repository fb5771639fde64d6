"""The pages in a real browser at 360×740 in both languages: switch, digits, font, sign-out.

The machine has no Bengali font installed (CI's neither): Bangla renders only if the page's own
served font is used, which the font test checks with the browser's own report of the font that
drew the text.
"""

from __future__ import annotations

import re

from support import BROWSER_MARKS, fits_the_phone, phone, shot, sign_in

pytestmark = BROWSER_MARKS
BENGALI_DIGIT = re.compile(r"[০-৯]")


def html_lang(page) -> str:  # type: ignore[no-untyped-def]
    return page.get_attribute("html", "lang") or ""


def test_switch_works_and_is_remembered(browser, server):
    ctx = phone(browser, "en-US")
    page = ctx.new_page()
    page.goto(server + "/")
    assert html_lang(page) == "en"  # the browser prefers English: the sign-in page follows
    assert page.inner_text("h1") == "Sign in"
    page.click("nav.lang-switch a[lang=bn]")
    page.wait_for_load_state()
    assert html_lang(page) == "bn" and page.inner_text("h1") == "সাইন ইন"
    page.goto(server + "/")  # a new visit: the choice is remembered
    assert html_lang(page) == "bn" and page.inner_text("h1") == "সাইন ইন"
    assert fits_the_phone(page)
    shot(page, "sign-in-bn-360")
    sign_in(page, server, "worker")
    assert page.url.endswith("/worker") and html_lang(page) == "bn"
    page.click("nav.lang-switch a[lang=en]")
    page.wait_for_load_state()
    assert html_lang(page) == "en" and page.inner_text("h1") == "Jobs you are eligible for"
    page.goto(server + "/worker")
    assert html_lang(page) == "en"
    assert not BENGALI_DIGIT.search(page.inner_text("main"))
    assert fits_the_phone(page)
    shot(page, "worker-en-360")
    ctx.close()


def test_worker_page_in_bangla_with_bangla_digits(browser, server):
    ctx = phone(browser, "en-US")  # a worker gets Bangla even from an English phone
    page = ctx.new_page()
    sign_in(page, server, "worker")
    assert html_lang(page) == "bn"
    assert page.inner_text("h1") == "আপনি যেসব চাকরির যোগ্য"
    main = page.inner_text("main")
    assert page.locator("article.job").count() > 0
    assert BENGALI_DIGIT.search(main) and not re.search(r"৳[0-9]", main)
    ceilings = re.findall(r"৳[০-৯][০-৯,]*", main)
    assert ceilings, "no cost ceiling shown"
    assert any(re.fullmatch(r"৳[০-৯]{1,2}(,[০-৯]{2})*,[০-৯]{3}", c) for c in ceilings), ceilings
    # English names inside the Bangla page are marked as English for screen readers
    marked = page.locator("main [lang=en]")
    assert marked.count() > 0
    assert all(re.search(r"[A-Za-z]", marked.nth(i).inner_text())
               for i in range(min(marked.count(), 20)))
    assert fits_the_phone(page)
    shot(page, "worker-bn-360")
    ctx.close()


def test_the_served_bengali_font_draws_the_bangla(browser, server):
    ctx = phone(browser, "bn-BD")
    page = ctx.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    sign_in(page, server, "worker")
    faces = page.evaluate("""async () => {
        await document.fonts.ready;
        return [...document.fonts].map(f => [f.family.replaceAll('"', ''), f.weight, f.status]);
    }""")
    assert ["Shetu Bengali", "400", "loaded"] in faces, faces
    assert page.evaluate("document.fonts.check('16px \"Shetu Bengali\"', 'সেতু')")
    assert any(re.fullmatch(re.escape(server) + r"/static/fonts/hind-siliguri-bengali\.\w+\.woff2",
                            u) for u in requests), requests
    assert all(u.startswith(server) for u in requests), [u for u in requests
                                                         if not u.startswith(server)]
    # Ask the browser which font really drew the heading's glyphs (no system Bengali font here).
    cdp = ctx.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    h1 = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "h1"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": h1})["fonts"]
    served = sum(f["glyphCount"] for f in fonts
                 if f["isCustomFont"] and f["familyName"] == "Hind Siliguri")
    system = sum(f["glyphCount"] for f in fonts if not f["isCustomFont"])
    ascii_chars = sum(1 for c in page.inner_text("h1") if ord(c) < 128)  # spaces: system font
    assert served > 0 and system == ascii_chars, fonts
    ctx.close()


def test_sign_out_then_back_does_not_show_the_workers_page(browser, server):
    for locale in ("bn-BD", "en-US"):
        ctx = phone(browser, locale)
        page = ctx.new_page()
        sign_in(page, server, "worker")
        assert page.url.endswith("/worker")
        first_job = page.inner_text("article.job h2 >> nth=0")
        page.click("header form button[type=submit]")  # sign out
        page.wait_for_load_state()
        assert page.locator("input[name=password]").count() == 1
        page.go_back()
        page.wait_for_load_state()
        body = page.content()
        assert first_job not in page.inner_text("body")
        assert 'class="card job"' not in body
        assert page.locator("input[name=password]").count() == 1  # asked to sign in again
        shot(page, f"back-after-sign-out-{locale}")
        ctx.close()
