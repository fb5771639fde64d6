"""The administrator's and ministry staff's pages: user accounts, agencies, the demand
verification queue, the admin audit trail. Each change goes through the services the API uses
(registry.accounts, registry.service, registry.demand) and leaves an ``admin_changes`` row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, or_, select

from api.deps import CurrentUser, IdPath, IndexerDep, SessionDep, SettingsDep
from api.i18n.render import render
from api.routes.demand import actor_of, now
from api.web.admin_forms import listing, submit, who
from api.web.common import need
from api.writes import Writes
from registry import accounts, demand, intake, service
from registry.models import Agency, JobOrder, User
from registry.schemas import AgencyIn
from registry.service import InvalidRecordError
from registry.vocab import JOB_SUBMITTED, USER_ROLES

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}




@router.get("/admin", response_class=HTMLResponse)
def admin_home(request: Request, settings: SettingsDep, session: SessionDep):  # type: ignore[no-untyped-def]
    """The admin's start page: what to manage, and the latest changes (who changed what)."""
    user = need(request, settings, session, "admin")
    return render(request, "admin_home.html", {"changes": accounts.changes(session, 100)},
                  user=user, headers=NO_STORE)


# -- user accounts -------------------------------------------------------------------------------
def _user_search(stmt, q: str):  # type: ignore[no-untyped-def]
    """Accounts whose user name or agency contains ``q``, or whose role or id is ``q``."""
    low = q.lower()
    cond = or_(func.lower(User.username).like(f"%{low}%"), func.lower(Agency.name).like(f"%{low}%"),
               User.role == low)
    if q.isdigit() and len(q) <= 9:
        cond = or_(cond, User.id == int(q))
    return stmt.where(cond)


def _users_page(request: Request, session: SessionDep, user: CurrentUser, error: str | None,
                status_code: int = 200) -> HTMLResponse:
    found = listing(request, session, select(User).outerjoin(Agency, User.agency_id == Agency.id),
                    (User.username, User.id), _user_search)
    agencies = list(session.scalars(select(Agency).order_by(Agency.name)))
    return render(request, "admin_users.html", {"found": found, "agencies": agencies,
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
    return _user_change(request, session, ix, user, agency_id, lambda agency: accounts.create_user(
        session, who(user), username, password, role, agency))


@router.post("/admin/users/{user_id}", response_model=None)
def update_user(user_id: IdPath, request: Request, settings: SettingsDep, session: SessionDep,
                ix: IndexerDep, role: Annotated[str, Form(max_length=10)] = "",
                agency_id: Annotated[str, Form(max_length=12)] = "",
                password: Annotated[str, Form(max_length=200)] = "",
                disabled: Annotated[str, Form(max_length=5)] = ""):  # type: ignore[no-untyped-def]
    """Change an account: role, the officer's agency, a new password, disable or enable."""
    user = need(request, settings, session, "admin")
    flag = {"yes": True, "no": False}.get(disabled)
    return _user_change(request, session, ix, user, agency_id, lambda agency: accounts.update_user(
        session, who(user), user_id, role=role or None, agency_id=agency,
        password=password or None, disabled=flag))


def _user_change(request: Request, session: SessionDep, ix: IndexerDep, user: CurrentUser,
                 agency_id: str, change: Callable[[int | None], object]) -> Response:
    """The user forms' one shape: read the agency, make the change through ``Writes``, back to
    the list; a refusal is the list again with its message (422), nothing stored."""
    def work() -> object:
        agency = agency_id.strip()
        if agency and not (agency.isdigit() and len(agency) <= 9):
            raise InvalidRecordError("agency_id: choose an agency from the list")
        return change(int(agency) if agency else None)

    return submit(session, ix, work,
                  lambda err, code: _users_page(request, session, user, err, code),
                  "/admin/users")


# -- agencies -----------------------------------------------------------------------------------
def _agencies_page(request: Request, session: SessionDep, user: CurrentUser, error: str | None,
                   status_code: int = 200) -> HTMLResponse:
    found = listing(request, session, select(Agency), (Agency.name, Agency.id),
                    lambda stmt, q: stmt.where(or_(
                        func.lower(Agency.name).like(f"%{q.lower()}%"),
                        func.lower(Agency.licence_number).like(f"%{q.lower()}%"))))
    return render(request, "admin_agencies.html", {"found": found, "error": error},
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
    """Add an agency (the API's AgencyIn rules); edits are on its own page (admin_records)."""
    user = need(request, settings, session, "admin")

    def work() -> None:
        body = AgencyIn.model_validate({"name": name, "licence_number": licence_number,
                                        "licence_valid_until": licence_valid_until,
                                        "district": district or None})
        agency = service.create(session, Agency, body)
        accounts.record_change(session, who(user), "create", "agency", agency.id,
                               body.model_dump(mode="json"))

    return submit(session, ix, work,
                  lambda err, code: _agencies_page(request, session, user, err, code),
                  "/admin/agencies")


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

    def work() -> object:
        if to is None:
            raise InvalidRecordError("decision: verify or reject")
        return demand.transition(session, job_order_id, to, actor_of(user), now(), reason)

    return submit(session, ix, work,
                  lambda err, _code: _queue_page(request, session, user, err, 422),
                  "/admin/demand")


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
                accounts.record_change(session, who(user), "import", kind, None,
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
