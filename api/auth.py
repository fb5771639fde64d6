"""JWT bearer tokens (OAuth2 password flow) and role checks."""

from __future__ import annotations

import datetime as dt

import jwt

ROLES = ("officer", "worker", "auditor", "admin")
ALGORITHM = "HS256"


class InvalidTokenError(ValueError):
    """The token is missing, malformed, expired or signed with another key."""


def create_token(username: str, role: str, secret: str, minutes: int) -> str:
    """Return a signed JWT for a user."""
    now = dt.datetime.now(dt.UTC)
    claims = {"sub": username, "role": role, "iat": now, "exp": now + dt.timedelta(minutes=minutes)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(token: str, secret: str) -> dict:
    """Return a token's claims or raise InvalidTokenError."""
    try:
        return jwt.decode(token, secret, algorithms=[ALGORITHM])
    except jwt.PyJWTError as exc:
        raise InvalidTokenError(str(exc)) from exc
