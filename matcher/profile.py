"""Structure read from a worker's own words when the profile has no structured experience.

A profile given only as text ("I laid tiles in Riyadh for six years") gets its likely ESCO
occupations from the occupation ranker, each kept with the ranker's score as a confidence, and
the years of experience the text states. The scorer then treats these as experience entries
whose occupation match is discounted by that confidence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
                "twenty": 20, "এক": 1, "দুই": 2, "তিন": 3, "চার": 4, "পাঁচ": 5, "ছয়": 6, "সাত": 7,
                "আট": 8, "নয়": 9, "দশ": 10}
_BN_DIGITS = str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")
_YEARS = re.compile(r"(\d{1,2}(?:\.\d)?|[^\W\d_]+)\s*\+?\s*(?:years?|yrs?|বছর)", re.IGNORECASE)
MIN_CONFIDENCE = 0.3
MAX_INFERRED = 2


def years_in_text(text: str) -> float | None:
    """Return the largest number of years a text states (digits, words, Bangla), or None."""
    best = None
    for m in _YEARS.finditer((text or "").translate(_BN_DIGITS)):
        tok = m.group(1).lower()
        value = float(tok) if tok[0].isdigit() else WORD_NUMBERS.get(tok)
        if value is not None and 0 < value <= 50:
            best = value if best is None else max(best, value)
    return best


def inferred_experience(text: str, ranked: Sequence[Mapping[str, Any]],
                        isco_of: Mapping[str, str]) -> list[dict[str, Any]]:
    """Return experience entries inferred from text and its ranked occupations.

    :param text: the worker's own description.
    :param ranked: occupation ranker results (``uri``, ``score``), best first.
    :param isco_of: occupation URI → ISCO-08 unit group.
    """
    years = years_in_text(text) or 0.0
    out = []
    for r in ranked[:MAX_INFERRED]:
        if r["score"] < MIN_CONFIDENCE:
            break
        out.append({"occupation_uri": r["uri"], "isco_group": isco_of.get(r["uri"], ""),
                    "years": years, "confidence": round(float(r["score"]), 4)})
    return out
