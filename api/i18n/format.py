"""Numbers, money and dates as a reader of the chosen language writes them (CLDR via Babel).

Babel applies the locale's patterns (South Asian grouping ``#,##,##0`` and Bangla month names for
``bn``) but always writes ASCII digits; Bangla's default numbering system in CLDR is ``beng``, so
the digits are then written in Bengali script.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.numbers import format_decimal

_NATIVE_DIGITS = {"beng": str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")}
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DIGITS = re.compile(r"\d")


def native_digits(text: str, lang: str) -> str:
    """Return ``text`` with ASCII digits written in the language's own digits (Bengali for bn)."""
    table = _NATIVE_DIGITS.get(Locale.parse(lang).default_numbering_system)
    return text.translate(table) if table else text


def number(value: float | int | Decimal, lang: str) -> str:
    """Return a number with the locale's grouping and digits (bn: ১,৬৫,০০০)."""
    return native_digits(format_decimal(value, locale=lang, format="#,##,##0.##" if lang == "bn"
                                        else None), lang)


def taka(amount: float | int, lang: str) -> str:
    """Return an amount of Bangladeshi taka, whole, with the sign first (bn: ৳১,৬৫,০০০)."""
    # The sign goes first as Bangladeshi notices and receipts write it, in both languages (CLDR
    # puts it last for bn and writes "BDT" for en); the grouping and digits are the locale's.
    return "\u09f3" + number(round(amount), lang)


def money(amount: float | int, currency: str, lang: str) -> str:
    """Return an amount in any currency: the number, then the currency's name in the language."""
    if currency == "BDT":
        return taka(amount, lang)
    loc = Locale.parse(lang)
    name = loc.currencies.get(currency, currency) if lang == "bn" else currency
    return f"{number(amount, lang)} {name}"


def date(value: dt.date | str | None, lang: str) -> str:
    """Return a date in the language's long form (bn: ১৪ মার্চ, ২০২৫; en: 14 March 2025)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if lang == "en":
        return _babel_date(value, "d MMMM y", locale="en_GB")
    return native_digits(_babel_date(value, "long", locale=lang), lang)


def as_written(value: str | None, lang: str) -> str:
    """Return a date as a source gives it (``2019-04-11``, or only ``c.2022``) in the language:
    a whole ISO date in the long form, anything else with its digits localised."""
    if not value:
        return ""
    if _ISO_DATE.fullmatch(value.strip()):
        return date(value.strip(), lang)
    return local_text(value, lang)


def local_text(text: str, lang: str) -> str:
    """Return a sentence written for ``lang`` with its ISO dates and digits localised."""
    if lang == "en":
        return text
    text = _ISO_DATE.sub(lambda m: date(m.group(0), lang), text)
    return _DIGITS.sub(lambda m: native_digits(m.group(0), lang), text)
