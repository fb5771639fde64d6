"""POST /api/v1/auth/token — OAuth2 password flow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select

from api.auth import create_token
from api.deps import SessionDep, SettingsDep
from registry.models import User
from registry.security import verify_password

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token")
def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep,
          settings: SettingsDep) -> dict[str, str]:
    """Exchange a username and password for a bearer token."""
    user = session.scalar(select(User).where(User.username == form.username))
    if user is None or not verify_password(form.password, user.password_hash) or (
            user.is_demo and not settings.demo_accounts):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password",
                            headers={"WWW-Authenticate": "Bearer"})
    return {"access_token": create_token(user.username, user.role, settings.secret_key,
                                         settings.token_minutes),
            "token_type": "bearer"}
