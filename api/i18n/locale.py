"""Choose a request's language and load its catalog (compiled from the .po, never stale)."""

from __future__ import annotations

import gettext
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.requests import Request

LANGUAGES = ("bn", "en")
DEFAULT = "bn"  # most workers read Bangla better than English (issue 13)
COOKIE = "shetu_lang"
CATALOGS = Path(__file__).resolve().parent.parent / "translations"
# Accept-Language is client input: read a bounded prefix and a bounded number of entries.
_MAX_HEADER = 400
_MAX_ENTRIES = 16


def requested_language(request: Request) -> str | None:
    """Return the language named by ``?lang=`` (the switch on every page), if it is one of ours."""
    lang = request.query_params.get("lang", "")
    return lang if lang in LANGUAGES else None


def browser_languages(header: str | None) -> list[str]:
    """Return the primary language tags of an Accept-Language header, most preferred first."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((header or "")[:_MAX_HEADER].split(",")[:_MAX_ENTRIES]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        tag = tag.strip().lower().replace("_", "-").split("-")[0]
        if tag and tag != "*" and q > 0:
            ranked.append((-q, i, tag))
    return [tag for _q, _i, tag in sorted(ranked)]


def choose_language(request: Request, role: str | None) -> str:
    """Return ``bn`` or ``en`` for this request.

    The switch (``?lang=``) wins, then the remembered choice (cookie). Otherwise a worker gets
    Bangla (a cheap phone's English settings say little about what its owner reads best), the
    anonymous sign-in page gets Bangla unless the browser prefers English, and officers, auditors
    and admins get the browser's preferred language of the two, English if it names neither.
    """
    chosen = requested_language(request)
    if chosen:
        return chosen
    remembered = request.cookies.get(COOKIE, "")
    if remembered in LANGUAGES:
        return remembered
    first = next((t for t in browser_languages(request.headers.get("accept-language"))
                  if t in LANGUAGES), None)
    if role == "worker":
        return DEFAULT
    if role is None:
        return "en" if first == "en" else DEFAULT
    return first or "en"


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> gettext.NullTranslations:
    """Return the catalog for ``lang``: compiled in memory from its .po (fuzzy entries left out).

    English is the source language: its catalog is the identity.
    """
    if lang == "en":
        return gettext.NullTranslations()
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    with open(CATALOGS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain="messages")
