"""Sign-in, sign-out and the home page that sends each role to its page."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.auth import COOKIE_NAME, InvalidTokenError, create_token, revoke_token
from api.deps import SessionDep, SettingsDep
from api.i18n.render import render
from api.security import client_address, cookie_secure, signin_throttle
from api.web.common import user_or_none
from registry.security import (
    SignInThrottle,
    SignInThrottledError,
    WrongCredentialsError,
    authenticate,
)

router = APIRouter(include_in_schema=False)
MAX_NEXT = 500


def local_next(value: str | None) -> str | None:
    """Return ``value`` if it is a path on this site (no scheme, host or ``//``), else None.

    Where sign-in sends the user back to: never another site (an open redirect).
    """
    if not value or len(value) > MAX_NEXT or not value.startswith("/"):
        return None
    if value.startswith(("//", "/\\")) or "\\" in value or any(ord(ch) < 32 for ch in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or value.startswith("/login"):
        return None
    return value


@router.get("/", response_class=HTMLResponse)
def home(request: Request, settings: SettingsDep, session: SessionDep):  # type: ignore[no-untyped-def]
    """Send each role to its page, or to the login page."""
    user = user_or_none(request, settings, session)
    if user is None:
        return render(request, "login.html", {"demo": settings.demo_accounts, "error": None})
    target = {"officer": "/officer", "admin": "/admin", "worker": "/worker",
              "auditor": "/auditor", "ministry": "/admin/demand"}.get(user.role, "/")
    return RedirectResponse(target, status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, settings: SettingsDep,  # type: ignore[no-untyped-def]
               next: Annotated[str | None, Query(max_length=MAX_NEXT)] = None,  # noqa: A002
               expired: bool = False):
    """The sign-in page; after a 401 on a page, with the page to go back to (``next``)."""
    return render(request, "login.html", {"demo": settings.demo_accounts,
                                          "error": "expired" if expired else None,
                                          "next": local_next(next)})


@router.post("/login", response_model=None)
def login(request: Request, settings: SettingsDep, session: SessionDep,
          throttle: Annotated[SignInThrottle, Depends(signin_throttle)],
          username: Annotated[str, Form()], password: Annotated[str, Form()],
          next: Annotated[str | None, Form(max_length=MAX_NEXT)] = None):  # type: ignore[no-untyped-def]  # noqa: A002
    """Sign in with a form (the API's rule); the token goes into an HTTP-only cookie.

    ``next`` (a local path, else ignored) is where to go after signing in."""
    back = local_next(next)
    try:
        user = authenticate(session, username, password, allow_demo=bool(settings.demo_accounts),
                            throttle=throttle, address=client_address(request))
    except WrongCredentialsError:
        return render(request, "login.html", {"demo": settings.demo_accounts, "error": "wrong",
                                              "next": back}, status_code=401)
    except SignInThrottledError as exc:
        return render(request, "login.html", {
            "demo": settings.demo_accounts, "error": "busy" if exc.busy else "throttled",
            "retry_after": exc.retry_after, "next": back},
            status_code=503 if exc.busy else 429, headers={"Retry-After": str(exc.retry_after)})
    resp = RedirectResponse(back or "/", status_code=303)
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
