"""User accounts (the admin's work) and the admin audit trail (``admin_changes``).

Every admin change, by page or CLI, goes through here or through ``registry.service``/
``registry.demand`` and then :func:`record_change`: who changed which record, when, and what.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import AdminChange, Agency, User, Worker
from registry.security import hash_password
from registry.service import ConflictError, InvalidRecordError, NotFoundError
from registry.vocab import USER_ROLES

MIN_PASSWORD = 12


@dataclass(frozen=True, slots=True)
class Who:
    """The admin making a change."""

    username: str
    role: str


def record_change(session: Session, who: Who, action: str, entity: str, entity_id: int | None,
                  detail: dict[str, Any] | None = None) -> None:
    """Write one audit-trail row (passwords are never written, only that one was reset)."""
    session.add(AdminChange(username=who.username[:80], role=who.role[:10], action=action[:20],
                            entity=entity[:20], entity_id=entity_id,
                            detail=json.dumps(detail or {}, default=str, sort_keys=True)))


def _check(session: Session, role: str, agency_id: int | None, worker_id: int | None) -> None:
    if role not in USER_ROLES:
        raise InvalidRecordError(f"role: {role!r} is not one of {', '.join(USER_ROLES)}")
    if role == "officer" and agency_id is None:
        raise InvalidRecordError("agency_id: an officer works for an agency; choose one")
    if agency_id is not None and session.get(Agency, agency_id) is None:
        raise NotFoundError(f"agency_id {agency_id} does not exist")
    if worker_id is not None and session.get(Worker, worker_id) is None:
        raise NotFoundError(f"worker_id {worker_id} does not exist")


def _password(password: str) -> str:
    if len(password) < MIN_PASSWORD or len(password) > 200:
        raise InvalidRecordError(f"password: between {MIN_PASSWORD} and 200 characters")
    return hash_password(password)


def create_user(session: Session, who: Who, username: str, password: str, role: str,
                agency_id: int | None = None, worker_id: int | None = None) -> User:
    """Create an account; an officer needs an agency."""
    username = username.strip()
    if not (2 <= len(username) <= 80) or not username.replace(".", "").replace("_", "") \
            .replace("-", "").isalnum():
        raise InvalidRecordError("username: 2–80 letters, digits, '.', '_' or '-'")
    if session.scalar(select(User.id).where(User.username == username)):
        raise ConflictError(f"username {username!r} is taken")
    _check(session, role, agency_id if role == "officer" else None, worker_id)
    user = User(username=username, password_hash=_password(password), role=role,
                agency_id=agency_id if role == "officer" else None,
                worker_id=worker_id if role == "worker" else None, is_demo=False, disabled=False)
    session.add(user)
    session.flush()
    record_change(session, who, "create", "user", user.id,
                  {"username": username, "role": role, "agency_id": user.agency_id})
    return user


def update_user(session: Session, who: Who, user_id: int, *, role: str | None = None,
                agency_id: int | None = None, password: str | None = None,
                disabled: bool | None = None) -> User:
    """Change an account's role, agency, password or disabled flag (only what is given)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} not found")
    if user.username == who.username and (disabled or (role and role != user.role)):
        raise InvalidRecordError("role: you cannot disable yourself or change your own role")
    changes: dict[str, Any] = {}
    new_role = role or user.role
    new_agency = agency_id if agency_id is not None else user.agency_id
    _check(session, new_role, new_agency if new_role == "officer" else None, None)
    if new_role != user.role:
        changes["role"] = [user.role, new_role]
        user.role = new_role
    if new_role != "officer":
        new_agency = None
    if new_agency != user.agency_id:
        changes["agency_id"] = [user.agency_id, new_agency]
        user.agency_id = new_agency
    if password:
        user.password_hash = _password(password)
        changes["password"] = "reset"
    if disabled is not None and disabled != user.disabled:
        changes["disabled"] = [user.disabled, disabled]
        user.disabled = disabled
    if changes:
        record_change(session, who, "update", "user", user.id, changes)
    return user


def changes(session: Session, limit: int = 200) -> list[AdminChange]:
    """The latest admin changes, newest first."""
    return list(session.scalars(select(AdminChange).order_by(AdminChange.id.desc())
                                .limit(limit)))
