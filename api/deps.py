"""FastAPI dependencies: settings, DB session, indexer, the current user and role checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Query, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import COOKIE_NAME, InvalidTokenError, decode_token, is_revoked
from indexer.service import Indexer
from registry.config import Settings
from registry.db import get_sessionmaker
from registry.models import User
from registry.security import may_sign_in
from registry.vocab import MAX_ID, MAX_OFFSET

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_app_settings(request: Request) -> Settings:
    """Return the settings the app was created with."""
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    """Yield a session; commit is explicit in services/routes, rollback on error."""
    session = get_sessionmaker(request.app.state.settings.database_url)()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_indexer(request: Request) -> Indexer:
    """Return the app's indexer."""
    return request.app.state.indexer


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
SessionDep = Annotated[Session, Depends(get_db)]
IndexerDep = Annotated[Indexer, Depends(get_indexer)]


@dataclass(frozen=True)
class CurrentUser:
    """The authenticated user."""

    id: int
    username: str
    role: str
    agency_id: int | None
    worker_id: int | None


def _user_from_token(token: str | None, settings: Settings, session: Session) -> CurrentUser:
    unauthorized = HTTPException(status.HTTP_401_UNAUTHORIZED, "not authenticated: send a "
                                 "bearer token from POST /api/v1/auth/token",
                                 headers={"WWW-Authenticate": "Bearer"})
    if not token:
        raise unauthorized
    try:
        claims = decode_token(token, settings.secret_key)
        if is_revoked(session, claims["jti"]):
            raise InvalidTokenError("signed out: sign in again")
    except InvalidTokenError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"invalid token: {exc}",
                            headers={"WWW-Authenticate": "Bearer"}) from exc
    user = session.scalar(select(User).where(User.username == claims.get("sub")))
    if user is None or not may_sign_in(user, allow_demo=bool(settings.demo_accounts)):
        raise unauthorized  # a demo user's old token dies with the demo accounts
    return CurrentUser(user.id, user.username, user.role, user.agency_id, user.worker_id)


def current_user(request: Request, settings: SettingsDep, session: SessionDep,
                 token: Annotated[str | None, Depends(oauth2)]) -> CurrentUser:
    """Return the user of the bearer token (or of the web session cookie)."""
    token = token or request.cookies.get(COOKIE_NAME)
    return _user_from_token(token, settings, session)


UserDep = Annotated[CurrentUser, Depends(current_user)]


def require(*roles: str):
    """Return a dependency that allows only the given roles (403 otherwise)."""

    def check(user: UserDep) -> CurrentUser:
        if user.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"role {user.role!r} may not do this (needs {' or '.join(roles)})")
        return user

    return Depends(check)


# -- bounded path/query parameters, If-Match, Idempotency-Key -------------------------------------
IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="a record id")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:\-]{8,100}$")


def if_match(if_match: Annotated[str | None, Header(max_length=40)] = None) -> int | None:
    """Return the version named by an ``If-Match: "N"`` header (the ETag of a record), or None."""
    if if_match is None or if_match.strip() == "*":
        return None
    m = _ETAG.match(if_match)
    if m is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST,
                            'If-Match must be a record version ETag such as "3" (from ETag)')
    return int(m.group(1))


def idempotency_key(idempotency_key: Annotated[str | None, Header(max_length=100)] = None
                    ) -> str | None:
    """Return the request's ``Idempotency-Key`` (8–100 characters of A–Z a–z 0–9 . _ : -)."""
    if idempotency_key is not None and not _IDEMPOTENCY_KEY.match(idempotency_key):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Idempotency-Key must be 8-100 "
                            "characters of letters, digits, '.', '_', ':' or '-'")
    return idempotency_key


IfMatchDep = Annotated[int | None, Depends(if_match)]
IdempotencyKeyDep = Annotated[str | None, Depends(idempotency_key)]
