"""The administrator's and ministry staff's pages: user accounts, agencies, the demand
verification queue, the admin audit trail. Each change goes through the services the API uses
(registry.accounts, registry.service, registry.demand) and leaves an ``admin_changes`` row."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select

from api.deps import CurrentUser, IdPath, IndexerDep, SessionDep, SettingsDep
from api.i18n.render import render
from api.routes.demand import actor_of, now
from api.web.common import need
from api.writes import Writes
from registry import accounts, demand, intake, service
from registry.models import Agency, JobOrder, User
from registry.schemas import AgencyIn
from registry.service import InvalidRecordError
from registry.vocab import JOB_SUBMITTED, USER_ROLES

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}


def _who(user: CurrentUser) -> accounts.Who:
    return accounts.Who(user.username, user.role)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


def _done(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/admin", response_class=HTMLResponse)
def admin_home(request: Request, settings: SettingsDep, session: SessionDep):  # type: ignore[no-untyped-def]
    """The admin's start page: what to manage, and the latest changes (who changed what)."""
    user = need(request, settings, session, "admin")
    return render(request, "admin_home.html", {"changes": accounts.changes(session, 100)},
                  user=user, headers=NO_STORE)


# -- user accounts -------------------------------------------------------------------------------
def _users_page(request: Request, session: SessionDep, user: CurrentUser, error: str | None,
                status_code: int = 200) -> HTMLResponse:
    users = list(session.scalars(select(User).order_by(User.username).limit(500)))
    agencies = list(session.scalars(select(Agency).order_by(Agency.name)))
    return render(request, "admin_users.html", {"users": users, "agencies": agencies,
                                                 "roles": USER_ROLES, "error": error},
                  user=user, status_code=status_code, headers=NO_STORE)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, settings: SettingsDep, session: SessionDep):  # type: ignore[no-untyped-def]
    """Every account: role, agency, disabled; forms to add and change."""
    return _users_page(request, session, need(request, settings, session, "admin"), None)


@router.post("/admin/users", response_model=None)
def create_user(request: Request, settings: SettingsDep, session: SessionDep,
                ix: IndexerDep, username: Annotated[str, Form(max_length=80)] = "",
                password: Annotated[str, Form(max_length=200)] = "",
                role: Annotated[str, Form(max_length=10)] = "",
                agency_id: Annotated[str, Form(max_length=12)] = ""):  # type: ignore[no-untyped-def]
    """Add an account (an officer with their agency)."""
    user = need(request, settings, session, "admin")
    try:
        agency = int(agency_id) if agency_id.strip() else None
        Writes(session, ix).run(lambda: accounts.create_user(
            session, _who(user), username, password, role, agency))
    except (ValueError, LookupError) as exc:
        session.rollback()
        return _users_page(request, session, user, str(exc), 422)
    return _done("/admin/users")


@router.post("/admin/users/{user_id}", response_model=None)
def update_user(user_id: IdPath, request: Request, settings: SettingsDep, session: SessionDep,
                ix: IndexerDep, role: Annotated[str, Form(max_length=10)] = "",
                agency_id: Annotated[str, Form(max_length=12)] = "",
                password: Annotated[str, Form(max_length=200)] = "",
                disabled: Annotated[str, Form(max_length=5)] = ""):  # type: ignore[no-untyped-def]
    """Change an account: role, the officer's agency, a new password, disable or enable."""
    user = need(request, settings, session, "admin")
    try:
        agency = int(agency_id) if agency_id.strip() else None
        flag = {"yes": True, "no": False}.get(disabled)
        Writes(session, ix).run(lambda: accounts.update_user(
            session, _who(user), user_id, role=role or None, agency_id=agency,
            password=password or None, disabled=flag))
    except (ValueError, LookupError) as exc:
        session.rollback()
        return _users_page(request, session, user, str(exc), 422)
    return _done("/admin/users")


# -- agencies -----------------------------------------------------------------------------------
def _agencies_page(request: Request, session: SessionDep, user: CurrentUser, error: str | None,
                   status_code: int = 200) -> HTMLResponse:
    agencies = list(session.scalars(select(Agency).order_by(Agency.name).limit(1000)))
    return render(request, "admin_agencies.html", {"agencies": agencies, "error": error},
                  user=user, status_code=status_code, headers=NO_STORE)


@router.get("/admin/agencies", response_class=HTMLResponse)
def agencies_page(request: Request, settings: SettingsDep, session: SessionDep):  # type: ignore[no-untyped-def]
    """Agencies and their licences; a form to add one and to change a licence."""
    return _agencies_page(request, session, need(request, settings, session, "admin"), None)


@router.post("/admin/agencies", response_model=None)
def create_agency(request: Request, settings: SettingsDep, session: SessionDep,
                  ix: IndexerDep, name: Annotated[str, Form(max_length=200)] = "",
                  licence_number: Annotated[str, Form(max_length=40)] = "",
                  licence_valid_until: Annotated[str, Form(max_length=10)] = "",
                  district: Annotated[str, Form(max_length=40)] = ""):  # type: ignore[no-untyped-def]
    """Add an agency (the API's AgencyIn rules)."""
    user = need(request, settings, session, "admin")
    try:
        body = AgencyIn(name=name, licence_number=licence_number,
                        licence_valid_until=licence_valid_until,  # type: ignore[arg-type]
                        district=district or None)
    except ValidationError as exc:
        return _agencies_page(request, session, user, _first_error(exc), 422)

    def work() -> None:
        agency = service.create(session, Agency, body)
        accounts.record_change(session, _who(user), "create", "agency", agency.id,
                               body.model_dump(mode="json"))

    try:
        Writes(session, ix).run(work)
    except (ValueError, LookupError) as exc:
        session.rollback()
        return _agencies_page(request, session, user, str(exc), 409)
    return _done("/admin/agencies")


@router.post("/admin/agencies/{agency_id}", response_model=None)
def update_agency(agency_id: IdPath, request: Request, settings: SettingsDep,
                  session: SessionDep, ix: IndexerDep,
                  licence_status: Annotated[str, Form(max_length=20)] = ""):  # type: ignore[no-untyped-def]
    """Suspend, cancel or restore a licence (deactivating an agency); its job orders follow."""
    user = need(request, settings, session, "admin")
    if licence_status not in ("valid", "suspended", "cancelled"):
        return _agencies_page(request, session, user, "licence_status: valid, suspended or "
                              "cancelled", 422)

    def work() -> None:
        service.update(session, Agency, agency_id, {"licence_status": licence_status})
        accounts.record_change(session, _who(user), "update", "agency", agency_id,
                               {"licence_status": licence_status})

    Writes(session, ix).run(work)
    return _done("/admin/agencies")


# -- the ministry's verification queue ------------------------------------------------------------
def _queue_page(request: Request, session: SessionDep, user: CurrentUser, error: str | None,
                status_code: int = 200) -> HTMLResponse:
    jobs = list(session.scalars(select(JobOrder).where(JobOrder.status == JOB_SUBMITTED)
                                .order_by(JobOrder.deadline, JobOrder.id).limit(200)))
    return render(request, "admin_demand.html", {"jobs": jobs, "error": error},
                  user=user, status_code=status_code, headers=NO_STORE)


@router.get("/admin/demand", response_class=HTMLResponse)
def demand_queue(request: Request, settings: SettingsDep, session: SessionDep):  # type: ignore[no-untyped-def]
    """Submitted job orders with their letters, to verify or reject with a reason."""
    return _queue_page(request, session,
                       need(request, settings, session, "ministry", "admin"), None)


@router.post("/admin/demand/{job_order_id}", response_model=None)
def decide(job_order_id: IdPath, request: Request, settings: SettingsDep, session: SessionDep,
           ix: IndexerDep, decision: Annotated[str, Form(max_length=10)] = "",
           reason: Annotated[str, Form(max_length=4000)] = ""):  # type: ignore[no-untyped-def]
    """Verify or reject one submitted job order (registry.demand, as the API)."""
    user = need(request, settings, session, "ministry", "admin")
    to = {"verify": "verified", "reject": "rejected"}.get(decision)
    try:
        if to is None:
            raise InvalidRecordError("decision: verify or reject")
        Writes(session, ix).run(lambda: demand.transition(
            session, job_order_id, to, actor_of(user), now(), reason))
    except (ValueError, LookupError, PermissionError) as exc:
        session.rollback()
        return _queue_page(request, session, user, str(exc), 422)
    return _done("/admin/demand")





# -- bulk intake (the same registry.intake as `shetu import`) -----------------------------------
MAX_IMPORT_BYTES = 60 * 1024 * 1024


@router.get("/admin/import", response_class=HTMLResponse)
def import_page(request: Request, settings: SettingsDep, session: SessionDep):  # type: ignore[no-untyped-def]
    """Upload a CSV of workers or job orders."""
    user = need(request, settings, session, "admin")
    return render(request, "admin_import.html", {"result": None, "error": None}, user=user,
                  headers=NO_STORE)


@router.post("/admin/import", response_class=HTMLResponse)
def import_upload(request: Request, settings: SettingsDep, session: SessionDep,
                  ix: IndexerDep, kind: Annotated[str, Form(max_length=12)] = "",
                  file: Annotated[UploadFile | None, File()] = None):  # type: ignore[no-untyped-def]
    """Import the uploaded CSV: good rows land, bad rows are listed by line, field, reason."""
    user = need(request, settings, session, "admin")
    error = None
    result = None
    if kind not in ("workers", "job-orders"):
        error = "kind: workers or job-orders"
    elif file is None:
        error = "file: choose a CSV file"
    else:
        data = file.file.read(MAX_IMPORT_BYTES + 1)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = None
            error = "file: not UTF-8 text"
        if text is not None and len(data) > MAX_IMPORT_BYTES:
            error = f"file: at most {MAX_IMPORT_BYTES} bytes"
        elif text is not None:
            def work() -> intake.ImportResult:
                out = intake.import_csv(session, kind, text, username=user.username,  # type: ignore[arg-type]
                                        role=user.role)
                accounts.record_change(session, _who(user), "import", kind, None,
                                       {"file": file.filename, "rows": out.rows,
                                        "created": out.created, "bad": out.bad})
                return out

            try:
                result = Writes(session, ix).run(work)
            except ValueError as exc:
                session.rollback()
                error = str(exc)
    return render(request, "admin_import.html", {"result": result, "error": error},
                  user=user, status_code=422 if error else 200, headers=NO_STORE)
