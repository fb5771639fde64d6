"""Names shown on the pages in the chosen language: countries, occupations, skills, statuses.

A name is returned as ``(text, lang)``: the language the text is really in, so that a page marks an
English name inside a Bangla page with ``lang="en"`` (a screen reader then picks the right voice).
"""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale

from api.i18n.format import local_text
from api.i18n.glossary import OCCUPATIONS_BN, SKILLS_BN


def N_(message: str) -> str:  # noqa: N802 — gettext's marker name, read by Babel's extractor
    """Mark ``message`` for the catalog; it is translated where it is shown."""
    return message


# Names the registry stores that CLDR spells differently (the UN DESA spelling among them).
_COUNTRY_ALIASES = {"brunei": "BN", "brunei darussalam": "BN", "viet nam": "VN",
                    "republic of korea": "KR", "south korea": "KR", "russian federation": "RU",
                    "uae": "AE", "ksa": "SA"}

STATUSES: dict[str, str] = {
    # licence
    "valid": N_("licensed"), "expired": N_("licence expired"),
    "suspended": N_("licence suspended"), "cancelled": N_("licence cancelled"),
    # job order
    "draft": N_("draft"), "verified": N_("verified"), "closed": N_("closed"),
    # application
    "applied": N_("applied"), "shortlisted": N_("shortlisted"), "selected": N_("selected"),
    "rejected": N_("not selected"), "deployed": N_("deployed"),
}
ROLES: dict[str, str] = {"worker": N_("worker"), "officer": N_("agency officer"),
                         "auditor": N_("auditor"), "admin": N_("administrator"),
                         "ministry": N_("ministry staff")}
# Why a worker is excluded from a job order (the eligibility rules' codes, matcher.eligibility).
RULES: dict[str, str] = {
    "no_consent": N_("no consent to matching"), "age": N_("age"),
    "gender_rule": N_("employer's legal gender rule"), "passport": N_("passport validity"),
    "medical": N_("medical FIT result"), "ntvqf_level": N_("NTVQF level"),
    "language": N_("language"), "bmet_registration": N_("BMET registration"),
}
# Why a job order is not matchable (registry.compliance / registry.demand reason codes).
NOT_MATCHABLE: dict[str, str] = {
    "status_draft": N_("Demand not verified: it is a draft; its agency has not submitted the "
                       "demand letter."),
    "status_submitted": N_("Demand not verified yet: its demand letter awaits ministry staff."),
    "status_rejected": N_("Demand not verified: ministry staff rejected its demand letter."),
    "status_expired": N_("Its deadline, %(date)s, has passed (expired)."),
    "status_closed": N_("Its agency closed it."),
    "not_verified": N_("Demand not verified (an attested demand letter and a recruitment "
                       "permission are needed)."),
    "deadline_passed": N_("Its deadline, %(date)s, has passed."),
    "no_agency": N_("It has no agency."),
    "licence_not_valid": N_("Its agency is not licensed: %(status)s."),
    "employer_inactive": N_("Its employer is deactivated."),
}
# What a worker can do about a failed rule, in words a worker can act on.
FIXES: dict[str, str] = {
    "age": N_("No fix: the age band is set by law."),
    "gender_rule": N_("No fix: this is the employer's legal rule."),
    "passport": N_("Renew the passport at the Department of Immigration and Passports."),
    "medical": N_("Take the GAMCA/Wafid medical check at the assigned centre."),
    "ntvqf_level": N_("Get the NTVQF certificate: a BTEB-registered course at a BMET technical "
                      "training centre, or recognition of prior learning."),
    "language": N_("Take a language course."),
    "bmet_registration": N_("Register with BMET (smart card with fingerprints)."),
}


@lru_cache(maxsize=1)
def _country_codes() -> dict[str, str]:
    codes = {name.lower(): code for code, name in Locale("en").territories.items()
             if len(code) == 2}
    codes.update(_COUNTRY_ALIASES)
    return codes


def country(name: str, lang: str) -> tuple[str, str]:
    """Return a destination's name in ``lang`` (CLDR), or the stored name marked English."""
    if lang == "en":
        return name, "en"
    code = _country_codes().get((name or "").strip().lower())
    local = Locale.parse(lang).territories.get(code) if code else None
    return (local, lang) if local else (name, "en")


def occupation(label: str, lang: str) -> tuple[str, str]:
    """Return an occupation (ESCO label or job title) in ``lang`` where Shetu knows it."""
    if lang == "bn":
        bn = OCCUPATIONS_BN.get((label or "").strip().lower())
        if bn:
            return bn, "bn"
    return label, "en"


def job_title(title: str, occupation_label: str | None, lang: str) -> tuple[str, str]:
    """Return a job order's title in ``lang``: its own, else its ESCO occupation's, else English."""
    text, text_lang = occupation(title, lang)
    if text_lang != lang and occupation_label:
        text, text_lang = occupation(occupation_label, lang)
    return (text, text_lang) if text_lang == lang else (title, "en")


def skill(label: str, lang: str) -> tuple[str, str]:
    """Return a skill (ESCO label) in ``lang`` where Shetu knows it, else the English label."""
    if lang == "bn":
        bn = SKILLS_BN.get((label or "").strip().lower())
        if bn:
            return bn, "bn"
    return label, "en"


_LANGUAGE_WORD = re.compile(r"[A-Z][a-z]+")


@lru_cache(maxsize=1)
def _language_codes() -> dict[str, str]:
    return {name: code for code, name in Locale("en").languages.items() if "_" not in code}


def bangla_reason(reason_bn: str) -> str:
    """Return an eligibility reason written in Bangla with its dates, digits and languages local."""
    names = Locale("bn").languages

    def language(m: re.Match[str]) -> str:
        code = _language_codes().get(m.group(0))
        return names.get(code, m.group(0)) if code else m.group(0)

    return local_text(_LANGUAGE_WORD.sub(language, reason_bn), "bn")


# A job order's demand lifecycle (issue 12): its own words ("rejected" and "expired" mean
# something else for an application or a licence above).
JOB_STATUSES: dict[str, str] = {
    "draft": N_("draft"), "submitted": N_("submitted, awaiting verification"),
    "verified": N_("verified"), "rejected": N_("demand letter rejected"),
    "expired": N_("expired (deadline passed)"), "closed": N_("closed"),
}
