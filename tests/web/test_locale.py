"""Which language a request gets, and numbers, money, dates and names in that language."""

from __future__ import annotations

import datetime as dt

import pytest
from starlette.requests import Request

from api.i18n import format as fmt
from api.i18n import names
from api.i18n.glossary import OCCUPATIONS_BN, SKILLS_BN
from api.i18n.locale import browser_languages, choose_language, translations


def request(query: str = "", cookie: str | None = None, accept: str | None = None) -> Request:
    headers = []
    if cookie is not None:
        headers.append((b"cookie", f"shetu_lang={cookie}".encode()))
    if accept is not None:
        headers.append((b"accept-language", accept.encode()))
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": query.encode(),
                    "headers": headers})


def test_accept_language_is_read_by_preference():
    assert browser_languages("fr-CH, fr;q=0.9, en;q=0.8, bn;q=0.95, *;q=0.5") == \
        ["fr", "bn", "fr", "en"]
    assert browser_languages("en-US,en;q=0.9") == ["en", "en"]
    assert browser_languages("bn;q=0, en") == ["en"]  # q=0 means "not this one"
    assert browser_languages("") == [] and browser_languages(None) == []
    assert browser_languages("en;q=abc") == []  # a broken weight counts as 0


@pytest.mark.parametrize("role,accept,expected", [
    # workers: Bangla unless the switch or the cookie says otherwise, whatever the browser says
    ("worker", "en-US,en;q=0.9", "bn"),
    ("worker", None, "bn"),
    # the anonymous sign-in page: Bangla unless the browser prefers English
    (None, "en-GB,en;q=0.9", "en"),
    (None, "bn-BD,bn;q=0.9,en;q=0.8", "bn"),
    (None, "fr-FR,de;q=0.9", "bn"),
    (None, None, "bn"),
    (None, "fr,en;q=0.5", "en"),  # English is the first of ours the browser names
    # officers, auditors, admins: the browser's choice of the two, English otherwise
    ("officer", "bn-BD,bn;q=0.9", "bn"),
    ("officer", "en-US", "en"),
    ("auditor", "fr-FR", "en"),
    ("admin", None, "en"),
])
def test_default_language(role, accept, expected):
    assert choose_language(request(accept=accept), role) == expected


def test_switch_beats_cookie_beats_default():
    assert choose_language(request("lang=en"), "worker") == "en"
    assert choose_language(request(cookie="en"), "worker") == "en"
    assert choose_language(request("lang=bn", cookie="en", accept="en"), "officer") == "bn"
    # values that are not ours are ignored, not trusted
    assert choose_language(request("lang=xx", cookie="<script>"), "worker") == "bn"
    assert choose_language(request("lang=EN"), "officer") == "en"  # default for officers


def test_taka_in_bangla_digits_with_south_asian_grouping():
    assert fmt.taka(165000, "bn") == "৳১,৬৫,০০০"
    assert fmt.taka(165000, "en") == "৳165,000"
    assert fmt.taka(12345678, "bn") == "৳১,২৩,৪৫,৬৭৮"
    assert fmt.number(1234567, "bn") == "১২,৩৪,৫৬৭"
    assert fmt.number(1234567, "en") == "1,234,567"


def test_money_in_the_wage_currency_names_it_in_the_language():
    assert fmt.money(1200, "SAR", "bn") == "১,২০০ সৌদি রিয়াল"
    assert fmt.money(1200, "SAR", "en") == "1,200 SAR"


def test_dates_with_bangla_month_names():
    d = dt.date(2025, 3, 14)
    assert fmt.date(d, "bn") == "১৪ মার্চ, ২০২৫"
    assert fmt.date("2026-01-05", "bn") == "৫ জানুয়ারী, ২০২৬" or \
        fmt.date("2026-01-05", "bn") == "৫ জানুয়ারি, ২০২৬"
    assert fmt.date(d, "en") == "14 March 2025"
    months = {fmt.date(dt.date(2025, m, 1), "bn").split()[1].rstrip(",") for m in range(1, 13)}
    assert len(months) == 12 and all("\u0980" <= c <= "\u09ff" for m in months for c in m)


def test_countries_in_bangla_from_cldr_else_marked_english():
    assert names.country("Saudi Arabia", "bn") == ("সৌদি আরব", "bn")
    assert names.country("United Arab Emirates", "bn") == ("সংযুক্ত আরব আমিরাত", "bn")
    assert names.country("Brunei", "bn")[1] == "bn"  # the registry's short spelling
    assert names.country("Atlantis", "bn") == ("Atlantis", "en")
    assert names.country("Saudi Arabia", "en") == ("Saudi Arabia", "en")


def test_occupations_and_skills_in_bangla_where_known_else_english():
    assert names.occupation("Bricklayer", "bn") == ("রাজমিস্ত্রি", "bn")
    assert names.occupation("astronaut", "bn") == ("astronaut", "en")
    assert names.job_title("Brick mason", "bricklayer", "bn") == ("রাজমিস্ত্রি", "bn")
    assert names.job_title("Space pilot", "astronaut", "bn") == ("Space pilot", "en")
    assert names.skill("dispose waste", "bn") == ("বর্জ্য ফেলা", "bn")
    assert names.skill("dispose waste", "en") == ("dispose waste", "en")


def test_eligibility_reasons_read_in_bangla():
    text = names.bangla_reason("পাসপোর্টের মেয়াদ 2026-02-01 পর্যন্ত থাকতে হবে")
    assert text == "পাসপোর্টের মেয়াদ ১ ফেব্রুয়ারি, ২০২৬ পর্যন্ত থাকতে হবে"
    assert names.bangla_reason("ভাষা প্রয়োজন: Arabic, Malay") == "ভাষা প্রয়োজন: আরবি, মালয়"


def test_glossary_keys_are_esco_labels(taxonomy):
    occupations = {o.label.lower() for o in taxonomy.occupations.values()}
    skills = {s.label.lower() for s in taxonomy.skills.values()}
    assert not set(OCCUPATIONS_BN) - occupations
    assert not set(SKILLS_BN) - skills
    bengali = all(any("\u0980" <= c <= "\u09ff" for c in v)
                  for v in (*OCCUPATIONS_BN.values(), *SKILLS_BN.values()))
    assert bengali


def test_catalog_is_compiled_from_the_po():
    assert translations("bn").gettext("Sign in") == "সাইন ইন"
    assert translations("en").gettext("Sign in") == "Sign in"
