"""What the admin's record pages share: form fields described once (label, kind, bounds), the
form read into a patch, the before/after of a change for the audit trail, paging, and the one
way a form handler runs its change (``submit``: through ``Writes``, or the page again with the
message naming the field, nothing stored)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.deps import CurrentUser
from api.writes import Writes
from indexer.service import Indexer
from registry import accounts
from registry.service import InvalidRecordError

PAGE_SIZE = 50
MAX_PAGE = 10_000
MAX_QUERY = 80
Page = Callable[[str | None, int], HTMLResponse]  # (error, status) → the form's page again


def N_(message: str) -> str:  # noqa: N802 — gettext's marker name, read by Babel's extractor
    """Mark ``message`` for the catalog; the template translates it where it is shown."""
    return message


@dataclass(frozen=True, slots=True)
class Field:
    """One form field of a record: its column, label (a msgid), input kind and bounds."""

    name: str
    label: str
    kind: str = "text"  # text | tel | number | date | bool | select | textarea
    max_length: int = 200
    nullable: bool = False  # an empty input stores null (else it is sent as given)
    options: tuple[tuple[str, str], ...] = ()  # select: (value, label msgid)
    autocomplete: str = "off"
    low: int | None = None
    high: int | None = None


def who(user: CurrentUser) -> accounts.Who:
    """The admin as the audit trail names them."""
    return accounts.Who(user.username, user.role)


def first_error(exc: ValidationError) -> str:
    """The first validation error, as ``field: message``."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else str(err["msg"]).removeprefix("Value error, ")


def form_values(fields: tuple[Field, ...], form: Any) -> dict[str, Any]:
    """Read the fields present in ``form`` into patch values (absent fields: unchanged).

    :raises InvalidRecordError: a value longer than its field allows, or a yes/no that is neither.
    """
    out: dict[str, Any] = {}
    for f in fields:
        if f.name not in form:
            continue
        raw = str(form.get(f.name) or "")
        if len(raw) > f.max_length:
            raise InvalidRecordError(f"{f.name}: at most {f.max_length} characters")
        raw = raw.strip() if f.kind != "textarea" else raw
        if f.kind == "bool":
            if raw not in ("yes", "no"):
                raise InvalidRecordError(f"{f.name}: yes or no")
            out[f.name] = raw == "yes"
        elif raw == "" and (f.nullable or f.kind in ("number", "date")):
            out[f.name] = None
        else:
            out[f.name] = raw
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def changed(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` of the values that differ from the record's."""
    return {k: [_plain(getattr(obj, k)), _plain(v)] for k, v in values.items()
            if _plain(getattr(obj, k)) != _plain(v)}


def version_of(form: Any) -> int | None:
    """The record version the form was read at (the optimistic lock), if it says one.

    :raises InvalidRecordError: a version that is not a small positive number.
    """
    raw = str(form.get("version") or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidRecordError("version: the page's record version is not a number")
    return int(raw)


def page_number(raw: str | None) -> int:
    """A 1-based page number from the query (bad or out of range: the first page)."""
    return int(raw) if raw and raw.isdigit() and 1 <= int(raw) <= MAX_PAGE else 1


@dataclass(frozen=True, slots=True)
class Listing:
    """One page of a searched list: its rows, the search, where it is, how many in all."""

    rows: list[Any]
    q: str
    page: int
    pages: int
    total: int
    path: str


def listing(request: Request, session: Session, stmt: Any, order: Any,
            search: Callable[[Any, str], Any]) -> Listing:
    """Page ``stmt`` (filtered by ``search`` with the query's ``q``) by ``order``."""
    q = str(request.query_params.get("q", ""))[:MAX_QUERY].strip()
    page = page_number(request.query_params.get("page"))
    if q:
        stmt = search(stmt, q)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(session.scalars(stmt.order_by(*order).offset((page - 1) * PAGE_SIZE)
                                .limit(PAGE_SIZE)))
    return Listing(rows, q, page, max(1, -(-total // PAGE_SIZE)), total, request.url.path)


def submit(session: Session, ix: Indexer, work: Callable[[], Any], page: Page,
           done: str | Callable[[Any], str]) -> HTMLResponse | RedirectResponse:
    """Run ``work`` through :class:`Writes` (commit, then index) and go to ``done``; when the
    domain refuses it, roll back and show ``page`` again with the message (4xx)."""
    try:
        out = Writes(session, ix).run(work)
    except ValidationError as exc:
        session.rollback()
        return page(first_error(exc), 422)
    except (ValueError, LookupError, PermissionError) as exc:
        # A missing record named by a field is that field's error; a missing record of the
        # page itself makes the page answer 404 when it is built again.
        session.rollback()
        code = 409 if type(exc).__name__ in ("ConflictError", "PreconditionFailedError") else 422
        return page(str(exc), code)
    target = done(out) if callable(done) else done
    return RedirectResponse(target, status_code=303)
