"""JWT bearer tokens (OAuth2 password flow): issue, check, revoke on sign-out."""

from __future__ import annotations

import datetime as dt
import uuid

import jwt
from sqlalchemy import delete
from sqlalchemy.orm import Session

from registry.models import RevokedToken

ROLES = ("officer", "worker", "auditor", "ministry", "admin")
ALGORITHM = "HS256"
COOKIE_NAME = "shetu_token"
# A token without an expiry would be valid for ever, one without a jti could not be revoked.
REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti"]


class InvalidTokenError(ValueError):
    """The token is missing, malformed, expired, revoked or signed with another key."""


def create_token(username: str, role: str, secret: str, minutes: int) -> str:
    """Return a signed JWT for a user, with its own id (``jti``) so that it can be revoked."""
    now = dt.datetime.now(dt.UTC)
    claims = {"sub": username, "role": role, "iat": now, "jti": uuid.uuid4().hex,
              "exp": now + dt.timedelta(minutes=minutes)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(token: str, secret: str) -> dict:
    """Return a token's claims or raise InvalidTokenError (expiry and id are required)."""
    try:
        return jwt.decode(token, secret, algorithms=[ALGORITHM],
                          options={"require": REQUIRED_CLAIMS})
    except jwt.PyJWTError as exc:
        raise InvalidTokenError(str(exc)) from exc


def is_revoked(session: Session, jti: str) -> bool:
    """Return whether the token with this id was signed out (one primary-key lookup)."""
    return session.get(RevokedToken, str(jti)) is not None


def revoke_token(session: Session, token: str, secret: str) -> None:
    """Refuse ``token`` from now on, and forget revoked tokens that have expired anyway."""
    claims = decode_token(token, secret)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))
    if not is_revoked(session, claims["jti"]):
        expires = dt.datetime.fromtimestamp(claims["exp"], dt.UTC).replace(tzinfo=None)
        session.add(RevokedToken(jti=str(claims["jti"]), expires_at=expires))
    session.commit()
