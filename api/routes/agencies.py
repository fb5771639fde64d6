"""Agencies: list/read (officer, auditor, admin), create/patch/delete (admin)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import func, select

from api.deps import (
    CurrentUser,
    IdempotencyKeyDep,
    IdPath,
    IfMatchDep,
    Offset,
    SessionDep,
    require,
)
from api.schemas import AgencyList, AgencyOut
from api.serializers import agency_out
from api.writes import WritesDep, etag
from registry import service
from registry.models import Agency
from registry.schemas import AgencyIn, AgencyPatch

router = APIRouter(prefix="/api/v1/agencies", tags=["agencies"])


@router.get("")
def list_agencies(session: SessionDep, _user: CurrentUser = require("officer", "auditor", "admin"),
                  limit: int = Query(100, ge=1, le=1000), offset: Offset = 0) -> AgencyList:
    """List agencies with licence status."""
    today = dt.date.today()
    rows = session.scalars(select(Agency).order_by(Agency.id).offset(offset).limit(limit))
    return AgencyList(items=[agency_out(a, today) for a in rows],
                      total=session.scalar(select(func.count(Agency.id))) or 0)


@router.get("/{agency_id}")
def get_agency(agency_id: IdPath, session: SessionDep, response: Response,
               _user: CurrentUser = require("officer", "auditor", "admin")) -> AgencyOut:
    """Return one agency."""
    a = service.get(session, Agency, agency_id)
    response.headers["ETag"] = etag(a.version)
    return agency_out(a, dt.date.today())


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AgencyOut)
def create_agency(body: AgencyIn, writes: WritesDep, key: IdempotencyKeyDep,
                  user: CurrentUser = require("admin")) -> Response:
    """Register an agency and its licence."""
    return writes.create(user, key, "agencies", body.model_dump(mode="json"),
                         lambda: agency_out(service.create(writes.session, Agency, body),
                                            dt.date.today()))


@router.patch("/{agency_id}")
def patch_agency(agency_id: IdPath, body: AgencyPatch, writes: WritesDep, response: Response,
                 expected: IfMatchDep, _user: CurrentUser = require("admin")) -> AgencyOut:
    """Change an agency (a licence change re-indexes its job orders); If-Match guards (412)."""
    return writes.update(response, lambda: agency_out(
        service.update(writes.session, Agency, agency_id, body, expected_version=expected),
        dt.date.today()))


@router.delete("/{agency_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_agency(agency_id: IdPath, writes: WritesDep,
                  _user: CurrentUser = require("admin")) -> None:
    """Delete an agency that has no job orders."""
    writes.delete(lambda: service.delete(writes.session, Agency, agency_id))
