"""POST /api/v1/auth/token (OAuth2 password flow) and POST /api/v1/auth/logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from api.auth import COOKIE_NAME, create_token, revoke_token
from api.deps import SessionDep, SettingsDep, current_user, oauth2
from api.schemas import Token
from api.security import client_address, signin_throttle
from registry.security import SignInThrottle, authenticate

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", responses={401: {"description": "wrong username or password"},
                                  429: {"description": "too many failed sign-ins (Retry-After)"},
                                  503: {"description": "too many sign-ins at once (Retry-After)"}})
def token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()],
          session: SessionDep, settings: SettingsDep,
          throttle: Annotated[SignInThrottle, Depends(signin_throttle)]) -> Token:
    """Exchange a username and password for a bearer token (the web form's rule).

    Refusals (wrong credentials 401, throttled 429, busy 503) are ``registry.security`` errors
    that ``api.errors`` answers."""
    user = authenticate(session, form.username, form.password,
                        allow_demo=bool(settings.demo_accounts), throttle=throttle,
                        address=client_address(request))
    return Token(access_token=create_token(user.username, user.role, settings.secret_key,
                                           settings.token_minutes), token_type="bearer")


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT,
             dependencies=[Depends(current_user)])
def logout(request: Request, session: SessionDep, settings: SettingsDep,
           bearer: Annotated[str | None, Depends(oauth2)]) -> Response:
    """Sign out: the token is revoked and refused from now on (even before it expires)."""
    revoke_token(session, bearer or request.cookies.get(COOKIE_NAME, ""), settings.secret_key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
