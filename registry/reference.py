"""The admin's reference data for the worker's pages: dated exchange rates (taka per unit of a
currency, with their source) and the official helplines (name, number, hours, the page the
number was read from). Every change is checked before anything is stored and leaves a row in
the admin audit trail (``admin_changes``, ``registry.accounts.record_change``).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import portal
from registry.accounts import Who, record_change
from registry.models import ExchangeRate, Helpline
from registry.schemas import InModel
from registry.service import NotFoundError

EARLIEST = dt.date(2000, 1, 1)
# A phone number as a helpline page prints it: digits, spaces, "+", "-", "(", ")"; 3 to 20 digits
# (short codes such as 16135 to international numbers).
NUMBER = re.compile(r"^\+?[0-9][0-9 ()-]*[0-9]$")
Text = Annotated[str, Field(min_length=1)]


def _past(value: dt.date, field: str) -> dt.date:
    if not EARLIEST <= value <= dt.date.today():
        raise ValueError(f"{field} must be between {EARLIEST} and today")
    return value


class RateIn(InModel):
    """A dated rate: taka per unit of ``currency`` (ISO 4217) on ``rate_date``, with its source."""

    currency: str = Field(min_length=3, max_length=3)
    bdt_per_unit: float = Field(gt=0, lt=100_000)
    rate_date: dt.date
    source: str = Field(min_length=3, max_length=200)

    @field_validator("currency")
    @classmethod
    def _code(cls, value: str) -> str:
        if not value.isascii() or not value.isalpha():
            raise ValueError("a three-letter currency code such as SAR")
        if value.upper() == "BDT":
            raise ValueError("the taka is what the rate is in; choose a foreign currency")
        return value.upper()

    @field_validator("rate_date")
    @classmethod
    def _date(cls, value: dt.date) -> dt.date:
        return _past(value, "the rate's date")

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        if len(value.strip()) < 3:
            raise ValueError("name where the rate comes from (at least 3 characters)")
        return value.strip()


class HelplineIn(InModel):
    """An official helpline: its name (and Bangla name), number, hours, and the page it was
    read from (an http or https address) on ``checked_on``."""

    name: Text = Field(max_length=200)
    name_bn: str | None = Field(default=None, max_length=200)
    number: str = Field(min_length=3, max_length=40)
    hours: str | None = Field(default=None, max_length=120)
    source: str = Field(min_length=10, max_length=300)
    checked_on: dt.date

    @field_validator("name", "name_bn", "hours", "number")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str:
        if not value:
            raise ValueError("a helpline needs a name")
        return value

    @field_validator("number")
    @classmethod
    def _number(cls, value: str | None) -> str:
        digits = sum(c.isdigit() for c in value or "")
        if not value or not NUMBER.match(value) or not 3 <= digits <= 20:
            raise ValueError("a phone number: digits, spaces, +, - and brackets (3 to 20 digits)")
        return value

    @field_validator("source")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in value.strip():
            raise ValueError("the address (http:// or https://) of the page the number is on")
        return value.strip()

    @field_validator("checked_on")
    @classmethod
    def _date(cls, value: dt.date) -> dt.date:
        return _past(value, "the day the number was checked")


def rates(session: Session, limit: int = 500) -> list[ExchangeRate]:
    """Every stored rate, by currency, newest first within one."""
    return list(session.scalars(select(ExchangeRate).order_by(
        ExchangeRate.currency, ExchangeRate.rate_date.desc()).limit(limit)))


def add_rate(session: Session, who: Who, body: RateIn) -> ExchangeRate:
    """Record the rate (a second one for the same currency and day corrects the first)."""
    row = portal.set_rate(session, body.currency, body.bdt_per_unit, body.rate_date, body.source)
    record_change(session, who, "set", "exchange_rate", row.id, body.model_dump(mode="json"))
    return row


def add_helpline(session: Session, who: Who, body: HelplineIn) -> Helpline:
    row = Helpline(**body.model_dump())
    session.add(row)
    session.flush()
    record_change(session, who, "create", "helpline", row.id, body.model_dump(mode="json"))
    return row


def update_helpline(session: Session, who: Who, helpline_id: int, body: HelplineIn) -> Helpline:
    row = _helpline(session, helpline_id)
    before = _fields(row)
    for field, value in body.model_dump().items():
        setattr(row, field, value)
    session.flush()
    after = _fields(row)
    record_change(session, who, "update", "helpline", row.id,
                  {k: [before[k], after[k]] for k in after if before[k] != after[k]})
    return row


def remove_helpline(session: Session, who: Who, helpline_id: int) -> None:
    row = _helpline(session, helpline_id)
    record_change(session, who, "delete", "helpline", row.id, _fields(row))
    session.delete(row)
    session.flush()


def _helpline(session: Session, helpline_id: int) -> Helpline:
    row = session.get(Helpline, helpline_id)
    if row is None:
        raise NotFoundError(f"helpline {helpline_id} not found")
    return row


def _fields(row: Helpline) -> dict[str, Any]:
    """A helpline's fields as the audit trail writes them."""
    out = {f: getattr(row, f) for f in HelplineIn.model_fields}
    out["checked_on"] = out["checked_on"].isoformat()
    return out


HELPLINES_CSV = Path(__file__).resolve().parent / "data" / "helplines.csv"
SEEDER = Who("shetu seed", "system")


def seed_helplines(session: Session, path: Path = HELPLINES_CSV) -> int:
    """Add the sourced helplines of ``registry/data/helplines.csv`` to an empty helplines table
    (the demo seed; each row is validated like the admin's form and recorded in the audit
    trail as the seed's). Returns how many were added."""
    if session.scalar(select(Helpline.id).limit(1)) is not None:
        return 0
    with path.open(encoding="utf-8", newline="") as f:
        rows = [HelplineIn.model_validate({k: v for k, v in r.items()
                                           if k in HelplineIn.model_fields})
                for r in csv.DictReader(f)]
    for body in rows:
        add_helpline(session, SEEDER, body)
    return len(rows)


RATES_CSV = Path(__file__).resolve().parent / "data" / "exchange_rates.csv"


def seed_rates(session: Session, path: Path = RATES_CSV) -> int:
    """Add the sourced, dated rates of ``registry/data/exchange_rates.csv`` that are not stored
    yet (the demo seed: Bangladesh Bank's US-dollar reference rate and the pegged currencies
    derived from it; newer than the migration's approximate seed, so the pages quote them).
    Each is validated like the admin's form and recorded in the audit trail."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = [RateIn.model_validate(r) for r in csv.DictReader(f)]
    added = 0
    for body in rows:
        if session.scalar(select(ExchangeRate.id).where(
                ExchangeRate.currency == body.currency,
                ExchangeRate.rate_date == body.rate_date)) is None:
            add_rate(session, SEEDER, body)
            added += 1
    return added
