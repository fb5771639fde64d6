"""The pages in one language at a time: the switch, defaults, errors as pages, sign-out."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from api.app import create_app

BENGALI_DIGIT = re.compile(r"[০-৯]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Latin words a Bangla page keeps on purpose (acronyms of tests and file types).
LATIN_OK = {"CSV", "GAMCA", "HACCP"}


class LangText(HTMLParser):
    """Collect the text of a page by the language of the element it stands in."""

    VOID = {"meta", "link", "input", "br", "img", "hr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str]] = []
        self.text: dict[str, list[str]] = {}
        self.html_lang = ""

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        a = dict(attrs)
        if tag == "html":
            self.html_lang = a.get("lang", "")
        lang = a.get("lang") or (self.stack[-1][1] if self.stack else "")
        if tag not in self.VOID:
            self.stack.append((tag, lang))

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if data.strip() and not (self.stack and self.stack[-1][0] in ("style", "script")):
            lang = self.stack[-1][1] if self.stack else ""
            self.text.setdefault(lang, []).append(data.strip())


def by_lang(html: str) -> LangText:
    p = LangText()
    p.feed(html)
    return p


def unmarked_english(html: str) -> list[str]:
    """Return the Latin words of a Bangla page that stand outside a lang="en" element."""
    p = by_lang(html)
    words = LATIN_WORD.findall(" ".join(p.text.get("bn", [])))
    return [w for w in words if w not in LATIN_OK]


@pytest.fixture(scope="module")
def app(seeded):
    return create_app(seeded["settings"], indexer=seeded["indexer"], warm_up=False)


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c


def sign_in(client, user: str, **headers) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/login", data={"username": user, "password": "shetu-demo"},
                    headers=headers, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]


def test_worker_page_is_bangla_by_default_even_for_an_english_browser(client):
    sign_in(client, "worker")
    r = client.get("/worker", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert r.status_code == 200
    page = by_lang(r.text)
    assert page.html_lang == "bn" and r.headers["content-language"] == "bn"
    assert "আপনি যেসব চাকরির যোগ্য" in r.text and "Jobs you are eligible for" not in r.text
    assert BENGALI_DIGIT.search(" ".join(page.text["bn"]))
    assert not unmarked_english(r.text), unmarked_english(r.text)[:20]
    assert "no-store" in r.headers["cache-control"]


def test_worker_page_shows_ceilings_in_taka_with_bangla_digits(client):
    sign_in(client, "worker")
    r = client.get("/worker")
    ceilings = re.findall(r"৳[০-৯,]+", r.text)
    assert ceilings, "no cost ceiling on the worker page"
    # South Asian grouping: the last three digits, then pairs (৳১,৬৫,০০০; ৳৭৮,৯৯০)
    assert all(re.fullmatch(r"৳[০-৯]{1,2}(,[০-৯]{2})*,[০-৯]{3}|৳[০-৯]{1,3}", c)
               for c in ceilings), ceilings
    assert not re.search(r"৳[0-9]", r.text)  # never ASCII digits after the taka sign


def test_switch_changes_the_language_and_is_remembered(client):
    sign_in(client, "worker")
    r = client.get("/worker?lang=en")
    assert by_lang(r.text).html_lang == "en" and "Jobs you are eligible for" in r.text
    assert "shetu_lang=en" in r.headers["set-cookie"]
    assert "httponly" in r.headers["set-cookie"].lower()
    r = client.get("/worker")  # the cookie remembers the choice
    assert by_lang(r.text).html_lang == "en" and "আপনি যেসব চাকরির যোগ্য" not in r.text
    assert not BENGALI_DIGIT.search(r.text.split("<main>")[1].split("</main>")[0])
    r = client.get("/worker?lang=bn")
    assert by_lang(r.text).html_lang == "bn" and "shetu_lang=bn" in r.headers["set-cookie"]


def test_every_page_has_the_switch(client):
    for user, path in (("worker", "/worker"), ("officer", "/officer"), ("auditor", "/auditor")):
        client.cookies.clear()
        sign_in(client, user)
        r = client.get(path)
        assert f'href="{path}?lang=bn"' in r.text or f'href="{path}?lang=en"' in r.text
        assert 'lang="bn"' in r.text and 'lang="en"' in r.text  # each name in its language
    client.cookies.clear()
    assert 'href="/?lang=en"' in client.get("/").text


@pytest.mark.parametrize("accept,lang", [("en-US,en;q=0.9", "en"), ("bn-BD,bn", "bn"),
                                         ("fr-FR", "bn"), (None, "bn")])
def test_sign_in_page_follows_the_browser(client, accept, lang):
    headers = {"Accept-Language": accept} if accept else {}
    r = client.get("/", headers=headers)
    assert by_lang(r.text).html_lang == lang
    assert ("সাইন ইন" in r.text) == (lang == "bn")
    if lang == "bn":
        assert not unmarked_english(r.text), unmarked_english(r.text)


def test_officer_and_auditor_pages_in_bangla_have_no_unmarked_english(client):
    for user, path in (("officer", "/officer"), ("auditor", "/auditor")):
        client.cookies.clear()
        sign_in(client, user)
        r = client.get(path + "?lang=bn")
        assert r.status_code == 200 and by_lang(r.text).html_lang == "bn"
        assert not unmarked_english(r.text), (path, unmarked_english(r.text)[:20])
        assert BENGALI_DIGIT.search(r.text)
    client.cookies.clear()
    sign_in(client, "officer")
    first = re.search(r'href="(/officer/jobs/\d+)"', client.get("/officer").text)
    assert first
    r = client.get(first.group(1) + "?lang=bn")
    assert r.status_code == 200 and not unmarked_english(r.text), unmarked_english(r.text)[:20]


def test_wrong_password_in_the_chosen_language(client):
    for lang, text in (("bn", "ইউজারনেম বা পাসওয়ার্ড ভুল।"), ("en", "Wrong username or password.")):
        client.cookies.set("shetu_lang", lang)
        r = client.post("/login", data={"username": "officer", "password": "nope-nope"})
        assert r.status_code == 401 and text in r.text
        assert by_lang(r.text).html_lang == lang


@pytest.mark.parametrize("user,path,status,bn,en", [
    (None, "/no-such-page", 404, "পাতাটি পাওয়া যায়নি", "Page not found"),
    ("officer", "/officer/jobs/999999", 404, "পাতাটি পাওয়া যায়নি", "Page not found"),
    ("worker", "/officer", 403, "এই পাতা দেখার অনুমতি আপনার নেই", "You may not see this page"),
    ("officer", "/officer/jobs/not-a-number", 422, "অনুরোধটি সঠিক নয়", "The request was not valid"),
    # a 401 on a page is the sign-in page (after a redirect that brings the reader back)
    (None, "/worker", 200, "এই পাতা দেখতে সাইন ইন করুন।", "Please sign in to see this page."),
])
def test_page_errors_are_pages_in_the_chosen_language(client, user, path, status, bn, en):
    if user:
        sign_in(client, user)
    for lang, text in (("bn", bn), ("en", en)):
        r = client.get(path, params={"lang": lang})
        assert r.status_code == status
        assert r.headers["content-type"].startswith("text/html")
        assert text in r.text and by_lang(r.text).html_lang == lang


def test_api_errors_stay_json(client):
    r = client.get("/api/v1/job-orders/999999", headers={"Accept-Language": "bn"})
    assert r.status_code == 401 and r.json()["detail"]
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}


def test_server_error_on_a_page_is_a_page(seeded):
    app = create_app(seeded["settings"], indexer=seeded["indexer"], warm_up=False)

    def broken() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/broken-page", broken)
    app.add_api_route("/api/v1/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/broken-page", headers={"Accept-Language": "bn"})
        assert r.status_code == 500 and "কিছু একটা সমস্যা হয়েছে" in r.text
        assert "boom" not in r.text
        r = c.get("/api/v1/broken")
        assert r.status_code == 500 and "boom" not in r.text


def test_sign_out_ends_the_session_for_good(client):
    sign_in(client, "worker")
    token = client.cookies.get("shetu_token")
    r = client.get("/worker")
    assert r.status_code == 200 and "no-store" in r.headers["cache-control"]
    r = client.post("/logout", follow_redirects=False)
    assert r.status_code == 303 and 'shetu_token=""' in r.headers["set-cookie"]
    # The old token, replayed (a copied cookie, a shared phone's history), is refused.
    client.cookies.set("shetu_token", token)
    r = client.get("/worker", follow_redirects=False)  # to sign in, and back after it
    assert r.status_code == 303 and "no-store" in r.headers["cache-control"]
    assert r.headers["location"].startswith("/login?next=%2Fworker")
    r = client.get("/worker")
    assert "no-store" in r.headers["cache-control"]
    assert 'class="card job"' not in r.text and "আপনি যেসব চাকরির যোগ্য" not in r.text
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_the_bengali_font_is_served_by_the_app(client):
    """A WOFF2 cut of Hind Siliguri under a content-hashed URL, preloaded by every page and
    named by the stylesheet (also hashed), both cached for a year; the OFL text is linked."""
    page = client.get("/").text
    font = re.search(r'<link rel="preload" href="(/static/fonts/hind-siliguri-bengali\.'
                     r'[0-9a-f]{12}\.woff2)" as="font" type="font/woff2" crossorigin>', page)
    sheet = re.search(r'<link rel="stylesheet" href="(/static/shetu\.[0-9a-f]{12}\.css)">', page)
    assert font and sheet, page[:600]
    r = client.get(sheet[1])
    assert r.status_code == 200 and "immutable" in r.headers["cache-control"]
    assert r.headers["content-encoding"] == "gzip"  # sent compressed (httpx unpacks it)
    css = r.text
    urls = re.findall(r"url\(\"?([^\")]+)\"?\)", css)
    assert urls == [font[1]]
    assert "@font-face" in css and "U+0980-09FE" in css and "font-display:swap" in css
    r = client.get(font[1])
    assert r.status_code == 200 and r.headers["content-type"] == "font/woff2"
    assert "max-age=31536000" in r.headers["cache-control"]
    assert r.content[:4] == b"wOF2" and 10_000 < len(r.content) < 45_000  # the TTF: 250 KB
    stale = font[1].replace(font[1].split(".")[-2], "0" * 12)
    assert client.get(stale).status_code == 404
    licence = re.search(r'href="(/static/fonts/OFL\.[0-9a-f]{12}\.txt)"', page)
    assert licence and "SIL OPEN FONT LICENSE" in client.get(licence[1]).text
    csp = client.get("/").headers["content-security-policy"]
    assert "http" not in csp and "default-src 'self'" in csp
