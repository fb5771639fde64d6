"""Server-rendered pages for officers, workers and auditors (same services as the API)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from sqlalchemy import select

from api.auth import COOKIE_NAME, InvalidTokenError, create_token, revoke_token
from api.deps import CurrentUser, IdPath, IndexerDep, SessionDep, SettingsDep, current_user
from api.i18n.render import render
from api.security import client_address, cookie_secure, signin_throttle
from api.serializers import eligible_jobs_out
from api.writes import Writes
from indexer.ranking import rank_jobs_for_worker, rank_workers_for_job
from registry import service
from registry.audit import agency_risk
from registry.compliance import job_is_matchable
from registry.models import JobOrder, Worker
from registry.security import (
    SignInThrottle,
    SignInThrottledError,
    WrongCredentialsError,
    authenticate,
)

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).parent / "static"
# The Bengali face (Hind Siliguri, OFL-1.1) comes from its PyPI package, fontpkg-hind-siliguri:
# served by the app so no page shows boxes where a machine has no Bengali font, and no request
# leaves the site (CSP font-src 'self').
FONTS = ("HindSiliguri-Regular.ttf", "HindSiliguri-SemiBold.ttf")


def _user_or_none(request: Request, settings, session) -> CurrentUser | None:  # type: ignore[no-untyped-def]
    try:
        return current_user(request, settings, session, None)
    except HTTPException:
        return None


@router.get("/", response_class=HTMLResponse)
def home(request: Request, settings: SettingsDep, session: SessionDep):  # type: ignore[no-untyped-def]
    """Send each role to its page, or to the login page."""
    user = _user_or_none(request, settings, session)
    if user is None:
        return render(request, "login.html", {"demo": settings.demo_accounts, "error": None})
    target = {"officer": "/officer", "admin": "/officer", "worker": "/worker",
              "auditor": "/auditor"}[user.role]
    return RedirectResponse(target, status_code=303)


@router.get("/static/shetu.css")
def stylesheet() -> FileResponse:
    """The pages' stylesheet (a file, so that the CSP allows no inline style)."""
    return FileResponse(STATIC / "shetu.css", media_type="text/css",
                        headers={"Cache-Control": "public, max-age=3600"})


def _font_route(name: str) -> None:
    def font() -> FileResponse:
        from fontpkg_hind_siliguri import ROOT

        return FileResponse(ROOT / "files" / name, media_type="font/ttf",
                            headers={"Cache-Control": "public, max-age=604800"})

    font.__doc__ = f"The Bengali font file {name} (Hind Siliguri, SIL Open Font License 1.1)."
    router.add_api_route(f"/static/fonts/{name}", font, methods=["GET"], name=f"font-{name}")


for _name in FONTS:
    _font_route(_name)


@router.post("/login", response_model=None)
def login(request: Request, settings: SettingsDep, session: SessionDep,
          throttle: Annotated[SignInThrottle, Depends(signin_throttle)],
          username: Annotated[str, Form()], password: Annotated[str, Form()]):  # type: ignore[no-untyped-def]
    """Sign in with a form (the API's rule); the token goes into an HTTP-only cookie."""
    try:
        user = authenticate(session, username, password, allow_demo=bool(settings.demo_accounts),
                            throttle=throttle, address=client_address(request))
    except WrongCredentialsError:
        return render(request, "login.html", {"demo": settings.demo_accounts, "error": "wrong"},
                      status_code=401)
    except SignInThrottledError as exc:
        return render(request, "login.html", {
            "demo": settings.demo_accounts, "error": "busy" if exc.busy else "throttled",
            "retry_after": exc.retry_after},
            status_code=503 if exc.busy else 429, headers={"Retry-After": str(exc.retry_after)})
    resp = RedirectResponse("/", status_code=303)
    resp.set_cookie(COOKIE_NAME, create_token(user.username, user.role, settings.secret_key,
                                              settings.token_minutes),
                    httponly=True, samesite="lax", secure=cookie_secure(settings))
    return resp


@router.post("/logout", response_model=None)
def logout(request: Request, settings: SettingsDep, session: SessionDep):  # type: ignore[no-untyped-def]
    """Sign out: the cookie's token is revoked (not only forgotten) and the cookie deleted."""
    token = request.cookies.get(COOKIE_NAME)
    if token:
        try:
            revoke_token(session, token, settings.secret_key)
        except InvalidTokenError:
            pass  # expired, forged or from an old key: nothing to revoke, the cookie goes anyway
    resp = RedirectResponse("/", status_code=303)
    resp.delete_cookie(COOKIE_NAME, httponly=True, samesite="lax", secure=cookie_secure(settings))
    return resp


def _need(request: Request, settings, session, *roles: str) -> CurrentUser:  # type: ignore[no-untyped-def]
    user = _user_or_none(request, settings, session)
    if user is None:
        raise HTTPException(401, "sign in first")
    if user.role not in roles:
        raise HTTPException(403, f"role {user.role!r} may not see this page")
    return user


@router.get("/officer", response_class=HTMLResponse)
def officer(request: Request, settings: SettingsDep, session: SessionDep):  # type: ignore[no-untyped-def]
    """The officer's verified job orders."""
    user = _need(request, settings, session, "officer", "admin")
    today = dt.date.today()
    q = select(JobOrder).order_by(JobOrder.deadline)
    if user.role == "officer":
        q = q.where(JobOrder.agency_id == (user.agency_id or -1))
    jobs = [(j, job_is_matchable(j, today)) for j in session.scalars(q.limit(200))]
    return render(request, "officer.html", {"jobs": jobs}, user=user)


@router.get("/officer/jobs/{job_order_id}", response_class=HTMLResponse)
def officer_job(job_order_id: IdPath, request: Request, settings: SettingsDep,
                session: SessionDep, ix: IndexerDep):  # type: ignore[no-untyped-def]
    """Ranked candidates for one job order, with why each fits."""
    user = _need(request, settings, session, "officer", "admin")
    job = service.get(session, JobOrder, job_order_id)
    if user.role == "officer" and job.agency_id != user.agency_id:
        raise HTTPException(404, f"job_order {job_order_id} not found")
    result = None
    if job_is_matchable(job, dt.date.today()):
        result = rank_workers_for_job(ix, job, limit=25)
        Writes(session, ix).log_view(user, "rank_candidates", [m.id for m in result.items],
                                     job.id)
    names = {}
    if result:
        ids = [m.id for m in result.items]
        names = dict(session.execute(select(Worker.id, Worker.full_name)
                                     .where(Worker.id.in_(ids))).all())
    return render(request, "candidates.html", {
        "job": job, "result": result, "names": names, "tax": ix.taxonomy}, user=user)


@router.get("/worker", response_class=HTMLResponse)
def worker_page(request: Request, settings: SettingsDep, session: SessionDep, ix: IndexerDep):  # type: ignore[no-untyped-def]
    """The worker's eligible jobs, cost ceilings and agency licences, in Bangla and English."""
    user = _need(request, settings, session, "worker")
    if user.worker_id is None:
        raise HTTPException(404, "this account has no worker profile")
    w = service.get(session, Worker, user.worker_id)
    today = dt.date.today()
    result = rank_jobs_for_worker(ix, w, today=today, limit=15, session=session)
    jobs = eligible_jobs_out(result, ix.taxonomy, settings.data_dir, today).model_dump(
        mode="json", exclude_unset=True)  # the same shapes as GET /api/v1/me/eligible-jobs
    _add_occupations(session, ix, jobs["items"] + jobs["not_eligible"])
    return render(request, "worker.html", {"w": w, **jobs}, user=user)


def _add_occupations(session, ix, items: list[dict]) -> None:  # type: ignore[no-untyped-def]
    """Add each job's ESCO occupation label (the page names the job in the worker's language)."""
    ids = [j["job_order_id"] for j in items]
    uris = dict(session.execute(select(JobOrder.id, JobOrder.occupation_uri)
                                .where(JobOrder.id.in_(ids))).all()) if ids else {}
    for j in items:
        occ = ix.taxonomy.occupations.get(uris.get(j["job_order_id"]) or "")
        j["occupation_label"] = occ.label if occ else None


@router.get("/auditor", response_class=HTMLResponse)
def auditor_page(request: Request, settings: SettingsDep, session: SessionDep):  # type: ignore[no-untyped-def]
    """Agency risk with a chart, and the CSV export link."""
    user = _need(request, settings, session, "auditor", "admin")
    rows = agency_risk(session, settings.data_dir, dt.date.today())
    top = rows[:15]
    max_score = max((r["risk_score"] for r in top), default=1) or 1
    return render(request, "auditor.html", {"rows": rows, "top": top, "max_score": max_score},
                  user=user)
