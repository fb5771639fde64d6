"""POST /api/v1/auth/token (OAuth2 password flow) and POST /api/v1/auth/logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from api.auth import COOKIE_NAME, create_token, revoke_token
from api.deps import SessionDep, SettingsDep, current_user, oauth2
from api.security import client_address, signin_throttle
from registry.security import (
    SignInThrottle,
    SignInThrottledError,
    WrongCredentialsError,
    authenticate,
)

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", responses={401: {"description": "wrong username or password"},
                                  429: {"description": "too many failed sign-ins (Retry-After)"},
                                  503: {"description": "too many sign-ins at once (Retry-After)"}})
def token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()],
          session: SessionDep, settings: SettingsDep,
          throttle: Annotated[SignInThrottle, Depends(signin_throttle)]) -> dict[str, str]:
    """Exchange a username and password for a bearer token (the web form's rule)."""
    try:
        user = authenticate(session, form.username, form.password,
                            allow_demo=bool(settings.demo_accounts), throttle=throttle,
                            address=client_address(request))
    except WrongCredentialsError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc),
                            headers={"WWW-Authenticate": "Bearer"}) from exc
    except SignInThrottledError as exc:
        code = status.HTTP_503_SERVICE_UNAVAILABLE if exc.busy else \
            status.HTTP_429_TOO_MANY_REQUESTS
        raise HTTPException(code, str(exc), headers={"Retry-After": str(exc.retry_after)}) from exc
    return {"access_token": create_token(user.username, user.role, settings.secret_key,
                                         settings.token_minutes),
            "token_type": "bearer"}


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT,
             dependencies=[Depends(current_user)])
def logout(request: Request, session: SessionDep, settings: SettingsDep,
           bearer: Annotated[str | None, Depends(oauth2)]) -> Response:
    """Sign out: the token is revoked and refused from now on (even before it expires)."""
    revoke_token(session, bearer or request.cookies.get(COOKIE_NAME, ""), settings.secret_key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
