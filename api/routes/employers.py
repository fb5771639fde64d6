"""Employers: list/read (officer, auditor, admin), create/patch (admin). An employer is never
deleted through the API (job orders and their history name it): ``active`` false retires it, and
its job orders stop being matchable (re-indexed when the change commits)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import func, select

from api.deps import CurrentUser, IdempotencyKeyDep, IdPath, IfMatchDep, Offset, SessionDep, require
from api.schemas import EmployerList, EmployerOut
from api.serializers import employer_out
from api.writes import WritesDep, etag
from registry import service
from registry.models import Employer
from registry.schemas import EmployerIn, EmployerPatch

router = APIRouter(prefix="/api/v1/employers", tags=["employers"])


@router.get("")
def list_employers(session: SessionDep,
                   _user: CurrentUser = require("officer", "auditor", "admin"),
                   limit: int = Query(100, ge=1, le=1000), offset: Offset = 0,
                   active: bool | None = None) -> EmployerList:
    """List employers (``active=true`` for those whose job orders can be matched)."""
    stmt = select(Employer)
    if active is not None:
        stmt = stmt.where(Employer.active == active)
    rows = session.scalars(stmt.order_by(Employer.id).offset(offset).limit(limit))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return EmployerList(items=[employer_out(e) for e in rows], total=total)


@router.get("/{employer_id}")
def get_employer(employer_id: IdPath, session: SessionDep, response: Response,
                 _user: CurrentUser = require("officer", "auditor", "admin")) -> EmployerOut:
    """Return one employer."""
    e = service.get(session, Employer, employer_id)
    response.headers["ETag"] = etag(e.version)
    return employer_out(e)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EmployerOut)
def create_employer(body: EmployerIn, writes: WritesDep, key: IdempotencyKeyDep,
                    user: CurrentUser = require("admin")) -> Response:
    """Add a foreign employer (before its job orders)."""
    return writes.create(user, key, "employers", body.model_dump(mode="json"),
                         lambda: employer_out(service.create(writes.session, Employer, body)))


@router.patch("/{employer_id}")
def patch_employer(employer_id: IdPath, body: EmployerPatch, writes: WritesDep,
                   response: Response, expected: IfMatchDep,
                   _user: CurrentUser = require("admin")) -> EmployerOut:
    """Change an employer; ``active`` false makes its job orders unmatchable. If-Match guards
    (412 on a stale version)."""
    return writes.update(response, lambda: employer_out(
        service.update(writes.session, Employer, employer_id, body, expected_version=expected)))
