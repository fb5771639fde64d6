"""The admin's record pages: workers, employers, agencies and job orders — search and page
through them, edit one, deactivate it (and back).

Every change goes through the services the API uses (``registry.service.update`` with the
form's version as the optimistic lock, ``registry.demand.close`` for a job order) inside
``Writes`` (commit, then the index follows), after the API's own input model validated it, and
leaves an ``admin_changes`` row with each changed field's before and after. A deactivated
worker leaves the search index; a deactivated employer's job orders stop being matchable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from api.deps import IndexerDep, SessionDep, SettingsDep
from api.i18n.names import JOB_STATUSES
from api.i18n.render import render
from api.routes.demand import actor_of, now
from api.web.admin_forms import (
    N_,
    Field,
    changed,
    form_values,
    listing,
    submit,
    version_of,
    who,
)
from api.web.common import need
from registry import accounts, demand, service
from registry.models import AdminChange, Agency, Employer, JobOrder, Worker
from registry.permissions import check_worker_patch
from registry.schemas import AgencyPatch, EmployerIn, EmployerPatch, JobOrderPatch, WorkerPatch
from registry.service import NotFoundError, PreconditionFailedError
from registry.vocab import JOB_CLOSED, JOB_TRANSITIONS, MAX_ID

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}
YES_NO = (("yes", N_("yes")), ("no", N_("no")))


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of record the admin manages on these pages."""

    path: str  # /admin/<path>
    model: type[Any]
    entity: str  # its name in the audit trail
    title: str  # msgid
    fields: tuple[Field, ...]
    patch: type[BaseModel]  # the API's partial-update model: the same rules
    search: tuple[str, ...]  # text columns a search looks in
    columns: tuple[tuple[str, str], ...]  # (label msgid, attribute) of the list
    deactivate: str  # "active" (a flag) | "close" (the lifecycle) | "" (the edit form)
    id_name: str
    create: type[BaseModel] | None = None


WORKERS = Kind(
    "workers", Worker, "worker", N_("Workers"),
    (Field("full_name", N_("Full name"), autocomplete="name"),
     Field("phone", N_("Phone"), "tel", 30, nullable=True, autocomplete="tel"),
     Field("district", N_("District"), max_length=60, nullable=True,
           autocomplete="address-level2"),
     Field("self_description", N_("In their own words"), "textarea", 4000),
     Field("consent", N_("Consents to matching"), "bool", 3, options=YES_NO)),
    WorkerPatch, ("full_name", "nid_number", "district"),
    ((N_("Name"), "full_name"), (N_("District"), "district"),
     (N_("Consents to matching"), "consent")), "active", "worker_id")
EMPLOYERS = Kind(
    "employers", Employer, "employer", N_("Employers"),
    (Field("name", N_("Name"), autocomplete="organization"),
     Field("country", N_("Country"), max_length=80, autocomplete="country-name"),
     Field("sector", N_("Sector"), max_length=120, nullable=True)),
    EmployerPatch, ("name", "country", "sector"),
    ((N_("Name"), "name"), (N_("Country"), "country"), (N_("Sector"), "sector")),
    "active", "employer_id", create=EmployerIn)
AGENCIES = Kind(
    "agencies", Agency, "agency", N_("Agencies"),
    (Field("name", N_("Name"), autocomplete="organization"),
     Field("licence_status", N_("Licence"), "select", 20,
           options=(("valid", N_("licensed")), ("suspended", N_("licence suspended")),
                    ("cancelled", N_("licence cancelled")))),
     Field("licence_valid_until", N_("Licence valid until"), "date", 10),
     Field("district", N_("District"), max_length=60, nullable=True,
           autocomplete="address-level2"),
     Field("phone", N_("Phone"), "tel", 30, nullable=True, autocomplete="tel")),
    AgencyPatch, ("name", "licence_number", "district"),
    ((N_("Name"), "name"), (N_("Licence number"), "licence_number")), "", "agency_id")
JOB_ORDERS = Kind(
    "job-orders", JobOrder, "job_order", N_("Job orders"),
    (Field("title", N_("Job title")),
     Field("description", N_("Description"), "textarea", 4000),
     Field("headcount", N_("Headcount"), "number", 7, low=1, high=100_000),
     Field("wage_amount", N_("Wage per month"), "number", 14, nullable=True, low=0),
     Field("deadline", N_("Deadline"), "date", 10),
     Field("recruitment_permission", N_("Recruitment permission number"), max_length=40,
           nullable=True),
     Field("required_ntvqf_level", N_("Required NTVQF level"), "number", 1, low=0, high=6),
     Field("medical_required", N_("Medical check required"), "bool", 3, options=YES_NO)),
    JobOrderPatch, ("title", "destination"),
    ((N_("Job title"), "title"), (N_("Destination country"), "destination")), "close",
    "job_order_id")
KINDS = (WORKERS, EMPLOYERS, AGENCIES, JOB_ORDERS)


def _record_id(request: Request, kind: Kind) -> int:
    raw = str(request.path_params.get(kind.id_name, ""))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        raise NotFoundError(f"{kind.entity} {raw[:20]!r} not found")
    return int(raw)


def _shown(f: Field, value: Any) -> str:
    """A stored value as its form input shows it."""
    if value is None:
        return ""
    if f.kind == "bool":
        return "yes" if value else "no"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _search(kind: Kind) -> Callable[[Any, str], Any]:
    def where(stmt: Any, q: str) -> Any:
        like = f"%{q.lower()}%"
        conds = [func.lower(cast(getattr(kind.model, c), String)).like(like) for c in kind.search]
        if q.isdigit() and len(q) <= 9:
            conds.append(kind.model.id == int(q))
        return stmt.where(or_(*conds))
    return where


# -- the pages -----------------------------------------------------------------------------------
def list_page(request: Request, session: Session, user: Any, kind: Kind,
              error: str | None = None, status_code: int = 200,
              values: dict[str, str] | None = None) -> HTMLResponse:
    """One page of a kind's records, searched by ``q``, with a form to add one (employers)."""
    found = listing(request, session, select(kind.model), (kind.model.id.desc(),), _search(kind))
    return render(request, "admin_records.html", {
        "kind": kind, "found": found, "error": error, "values": values or {}},
        user=user, status_code=status_code, headers=NO_STORE)


def record_page(request: Request, session: Session, user: Any, kind: Kind, record_id: int,
                error: str | None = None, status_code: int = 200,
                values: dict[str, str] | None = None) -> HTMLResponse:
    """A record's edit form (with what was typed, after an error), its deactivation, and its
    changes in the audit trail."""
    obj = service.get(session, kind.model, record_id)
    shown = {f.name: _shown(f, getattr(obj, f.name)) for f in kind.fields}
    shown.update(values or {})
    trail = list(session.scalars(select(AdminChange).where(
        AdminChange.entity == kind.entity, AdminChange.entity_id == record_id)
        .order_by(AdminChange.id.desc()).limit(50)))
    return render(request, "admin_record.html", {
        "kind": kind, "obj": obj, "values": shown, "error": error, "trail": trail,
        "status_name": JOB_STATUSES[demand.effective_status(obj, dt.date.today())]
        if kind.model is JobOrder else None,
        "may_close": kind.deactivate == "close" and JOB_CLOSED in JOB_TRANSITIONS[obj.status],
    }, user=user, status_code=status_code, headers=NO_STORE)


def _typed(form: Any, kind: Kind) -> dict[str, str]:
    """What the admin typed, to show again beside the error."""
    return {f.name: str(form.get(f.name, ""))[:f.max_length] for f in kind.fields
            if f.name in form}


def _edit(session: Session, user: Any, kind: Kind, record_id: int, form: Any) -> Callable[[], None]:
    def work() -> None:
        obj = service.get(session, kind.model, record_id)
        version = version_of(form)
        if version is not None and obj.version != version:
            raise PreconditionFailedError(
                f"version: {kind.entity} {record_id} was changed by someone else since this page "
                f"was read (version {obj.version}, not {version}); read it again")
        values = form_values(kind.fields, form)
        body = kind.patch.model_validate(values)
        if kind.model is Worker:
            check_worker_patch(user.role, None, record_id, body)  # type: ignore[arg-type]
        patch = body.model_dump(mode="python", exclude_unset=True)
        diff = changed(obj, patch)
        if diff:
            service.update(session, kind.model, record_id, {k: patch[k] for k in diff},
                           expected_version=obj.version)
            accounts.record_change(session, who(user), "update", kind.entity, record_id, diff)
    return work


def _active(session: Session, user: Any, kind: Kind, record_id: int, form: Any,
            flag: bool) -> Callable[[], None]:
    def work() -> None:
        obj = service.get(session, kind.model, record_id)
        version = version_of(form)
        before = bool(obj.active)
        if before == flag:
            return
        service.update(session, kind.model, record_id, {"active": flag},
                       expected_version=version)
        accounts.record_change(session, who(user), "deactivate" if not flag else "reactivate",
                               kind.entity, record_id, {"active": [before, flag]})
    return work


def _close(session: Session, user: Any, record_id: int, form: Any) -> Callable[[], None]:
    def work() -> None:
        job = service.get(session, JobOrder, record_id)
        version = version_of(form)
        if version is not None and job.version != version:
            raise PreconditionFailedError(f"version: job order {record_id} changed since this "
                                          "page was read; read it again")
        before = job.status
        reason = str(form.get("reason") or "")[:4000].strip()
        demand.close(session, record_id, actor_of(user), now(), reason or "closed by the admin")
        accounts.record_change(session, who(user), "deactivate", "job_order", record_id,
                               {"status": [before, "closed"], "reason": reason})
    return work


def _register(kind: Kind) -> None:
    base = f"/admin/{kind.path}"
    one = f"{base}/{{{kind.id_name}}}"

    def show_one(request: Request, settings: SettingsDep, session: SessionDep) -> HTMLResponse:
        user = need(request, settings, session, "admin")
        return record_page(request, session, user, kind, _record_id(request, kind))

    async def edit_one(request: Request, settings: SettingsDep, session: SessionDep,
                       ix: IndexerDep) -> Any:
        user = need(request, settings, session, "admin")
        record_id = _record_id(request, kind)
        form = await request.form()
        return submit(session, ix, _edit(session, user, kind, record_id, form),
                      lambda err, code: record_page(request, session, user, kind, record_id,
                                                    err, code, _typed(form, kind)),
                      one.replace(f"{{{kind.id_name}}}", str(record_id)))

    router.add_api_route(one, show_one, methods=["GET"], response_class=HTMLResponse)
    router.add_api_route(one, edit_one, methods=["POST"], response_model=None)
    if kind.deactivate:
        async def deactivate(request: Request, settings: SettingsDep, session: SessionDep,
                             ix: IndexerDep) -> Any:
            user = need(request, settings, session, "admin")
            record_id = _record_id(request, kind)
            form = await request.form()
            if kind.deactivate == "close":
                work = _close(session, user, record_id, form)
            else:
                flag = {"yes": True, "no": False}.get(str(form.get("active", "")))
                if flag is None:
                    return record_page(request, session, user, kind, record_id,
                                       "active: yes or no", 422)
                work = _active(session, user, kind, record_id, form, flag)
            return submit(session, ix, work,
                          lambda err, code: record_page(request, session, user, kind,
                                                        record_id, err, code),
                          one.replace(f"{{{kind.id_name}}}", str(record_id)))

        router.add_api_route(f"{one}/{'close' if kind.deactivate == 'close' else 'active'}",
                             deactivate, methods=["POST"], response_model=None)


def _register_list(kind: Kind) -> None:
    base = f"/admin/{kind.path}"

    def show_list(request: Request, settings: SettingsDep, session: SessionDep) -> HTMLResponse:
        return list_page(request, session, need(request, settings, session, "admin"), kind)

    router.add_api_route(base, show_list, methods=["GET"], response_class=HTMLResponse)
    if kind.create is None:
        return
    create_model = kind.create

    async def create(request: Request, settings: SettingsDep, session: SessionDep,
                     ix: IndexerDep) -> Any:
        user = need(request, settings, session, "admin")
        form = await request.form()

        def work() -> int:
            values = {k: v for k, v in form_values(kind.fields, form).items() if v is not None}
            body = create_model.model_validate(values)
            obj = service.create(session, kind.model, body)
            accounts.record_change(session, who(user), "create", kind.entity, obj.id,
                                   body.model_dump(mode="json"))
            return int(obj.id)

        return submit(session, ix, work,
                      lambda err, code: list_page(request, session, user, kind, err, code,
                                                  _typed(form, kind)),
                      lambda new_id: f"{base}/{new_id}")

    router.add_api_route(base, create, methods=["POST"], response_model=None)


for _kind in KINDS:
    _register(_kind)
for _kind in (WORKERS, EMPLOYERS):
    _register_list(_kind)

__all__ = ["KINDS", "list_page", "record_page", "router"]
