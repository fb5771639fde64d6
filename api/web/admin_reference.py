"""The admin's pages for what the worker's pages quote: dated exchange rates (a job's wage in
taka) and the official helplines (on every worker page). Changes go through
``registry.reference`` (checked first, nothing stored on a refusal, each one in the admin audit
trail); a refused form comes back as the page with the message naming the field (422) and the
values as typed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from api.deps import CurrentUser, IdPath, IndexerDep, SessionDep, SettingsDep
from api.i18n.render import render
from api.web.common import need
from api.writes import Writes
from registry import portal, reference
from registry.accounts import Who
from registry.service import NotFoundError

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}
FormText = Annotated[str, Form(max_length=300)]


def _who(user: CurrentUser) -> Who:
    return Who(user.username, user.role)


def _problem(exc: ValidationError) -> str:
    """The first refusal, naming its field: ``bdt_per_unit: Input should be greater than 0``."""
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"])
    return f"{field}: {err['msg'].removeprefix('Value error, ')}" if field else err["msg"]


def _page(request: Request, name: str, user: CurrentUser, context: dict[str, Any],
          status_code: int = 200) -> HTMLResponse:
    return render(request, name, {"error": None, "typed": {}, **context}, user=user,
                  status_code=status_code, headers=NO_STORE)


# -- exchange rates ---------------------------------------------------------------------------
@router.get("/admin/rates", response_class=HTMLResponse)
def rates_page(request: Request, settings: SettingsDep, session: SessionDep):  # type: ignore[no-untyped-def]
    """Every dated rate with its source, and a form to add one."""
    user = need(request, settings, session, "admin")
    return _page(request, "admin_rates.html", user, {"rates": reference.rates(session)})


@router.post("/admin/rates", response_model=None)
def add_rate(request: Request, settings: SettingsDep, session: SessionDep, ix: IndexerDep,
             currency: Annotated[str, Form(max_length=10)] = "",
             bdt_per_unit: Annotated[str, Form(max_length=20)] = "",
             rate_date: Annotated[str, Form(max_length=10)] = "",
             source: FormText = ""):  # type: ignore[no-untyped-def]
    """Record a rate on a date (the same currency and date again corrects it)."""
    user = need(request, settings, session, "admin")
    typed = {"currency": currency, "bdt_per_unit": bdt_per_unit, "rate_date": rate_date,
             "source": source}
    try:
        body = reference.RateIn.model_validate(typed)
    except ValidationError as exc:
        return _page(request, "admin_rates.html", user, {
            "rates": reference.rates(session), "error": _problem(exc), "typed": typed}, 422)
    Writes(session, ix).run(lambda: reference.add_rate(session, _who(user), body))
    return RedirectResponse("/admin/rates", status_code=303)


# -- helplines --------------------------------------------------------------------------------
def _helplines(request: Request, user: CurrentUser, session: SessionDep, error: str | None = None,
               typed: dict[str, str] | None = None, editing: int | None = None,
               status_code: int = 200) -> HTMLResponse:
    return _page(request, "admin_helplines.html", user, {
        "helplines": portal.helplines(session), "error": error, "typed": typed or {},
        "editing": editing}, status_code)


@router.get("/admin/helplines", response_class=HTMLResponse)
def helplines_page(request: Request, settings: SettingsDep, session: SessionDep):  # type: ignore[no-untyped-def]
    """The official helplines the worker's pages show, each editable, and a form to add one."""
    return _helplines(request, need(request, settings, session, "admin"), session)


def _helpline_form(name: str, name_bn: str, number: str, hours: str, source: str,
                   checked_on: str) -> dict[str, str]:
    return {"name": name, "name_bn": name_bn, "number": number, "hours": hours,
            "source": source, "checked_on": checked_on}


@router.post("/admin/helplines", response_model=None)
def add_helpline(request: Request, settings: SettingsDep, session: SessionDep, ix: IndexerDep,
                 name: FormText = "", name_bn: FormText = "", number: FormText = "",
                 hours: FormText = "", source: FormText = "",
                 checked_on: FormText = ""):  # type: ignore[no-untyped-def]
    """Add an official helpline with the page its number was read from."""
    user = need(request, settings, session, "admin")
    typed = _helpline_form(name, name_bn, number, hours, source, checked_on)
    try:
        body = reference.HelplineIn.model_validate(typed)
    except ValidationError as exc:
        return _helplines(request, user, session, _problem(exc), typed, None, 422)
    Writes(session, ix).run(lambda: reference.add_helpline(session, _who(user), body))
    return RedirectResponse("/admin/helplines", status_code=303)


@router.post("/admin/helplines/{helpline_id}", response_model=None)
def update_helpline(helpline_id: IdPath, request: Request, settings: SettingsDep,
                    session: SessionDep, ix: IndexerDep, name: FormText = "",
                    name_bn: FormText = "", number: FormText = "", hours: FormText = "",
                    source: FormText = "", checked_on: FormText = ""):  # type: ignore[no-untyped-def]
    """Change a helpline (all its fields, as the form shows them)."""
    user = need(request, settings, session, "admin")
    typed = _helpline_form(name, name_bn, number, hours, source, checked_on)
    try:
        body = reference.HelplineIn.model_validate(typed)
        Writes(session, ix).run(lambda: reference.update_helpline(
            session, _who(user), helpline_id, body))
    except ValidationError as exc:
        return _helplines(request, user, session, _problem(exc), typed, helpline_id, 422)
    except NotFoundError as exc:
        session.rollback()
        raise HTTPException(404, str(exc)) from exc
    return RedirectResponse("/admin/helplines", status_code=303)


@router.post("/admin/helplines/{helpline_id}/delete", response_model=None)
def remove_helpline(helpline_id: IdPath, request: Request, settings: SettingsDep,
                    session: SessionDep, ix: IndexerDep):  # type: ignore[no-untyped-def]
    """Remove a helpline (the audit trail keeps what it said)."""
    user = need(request, settings, session, "admin")
    try:
        Writes(session, ix).run(lambda: reference.remove_helpline(session, _who(user),
                                                                  helpline_id))
    except NotFoundError as exc:
        session.rollback()
        raise HTTPException(404, str(exc)) from exc
    return RedirectResponse("/admin/helplines", status_code=303)
