"""ESCO skills by what a worker types, in English or Bangla (labels, alternative labels and
Shetu's Bangla glossary): a substring look-up, fast enough to run on every key press."""

from __future__ import annotations

from api.i18n.glossary import SKILLS_BN
from matcher.taxonomy import Taxonomy

MAX_QUERY = 100


_CACHE: dict[int, list[tuple[str, str, str, str | None]]] = {}


def _entries(tax: Taxonomy) -> list[tuple[str, str, str, str | None]]:
    """(uri, label, searchable text, Bangla name) per skill, Bangla-named skills first."""
    if id(tax) in _CACHE:
        return _CACHE[id(tax)]
    out = []
    for s in tax.skills.values():
        bn = SKILLS_BN.get(s.label.lower())
        text = " | ".join((s.label, *s.alt_labels, bn or "")).casefold()
        out.append((s.uri, s.label, text, bn))
    out.sort(key=lambda e: (e[3] is None, len(e[1])))
    _CACHE.clear()  # one taxonomy per process; a new one replaces the old
    _CACHE[id(tax)] = out
    return out


def suggest_skills(tax: Taxonomy, query: str, limit: int = 10) -> list[tuple[str, str, str | None]]:
    """Return (uri, English label, Bangla name or None) of skills whose names contain ``query``;
    names that start with it first."""
    q = " ".join(query.split()).casefold()[:MAX_QUERY]
    if len(q) < 2:
        return []
    starts: list[tuple[str, str, str | None]] = []
    contains: list[tuple[str, str, str | None]] = []
    for uri, label, text, bn in _entries(tax):
        if q not in text:
            continue
        (starts if label.casefold().startswith(q) or (bn or "").startswith(q) else contains
         ).append((uri, label, bn))
        if len(starts) >= limit:
            break
    return (starts + contains)[:limit]
