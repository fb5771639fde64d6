"""Agencies: list/read (officer, auditor, admin), create/patch/delete (admin)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import func, select

from api import writes
from api.deps import (
    CurrentUser,
    IdempotencyKeyDep,
    IdPath,
    IfMatchDep,
    IndexerDep,
    Offset,
    SessionDep,
    require,
)
from api.serializers import agency_json
from registry import service
from registry.models import Agency
from registry.schemas import AgencyIn, AgencyPatch

router = APIRouter(prefix="/api/v1/agencies", tags=["agencies"])


@router.get("")
def list_agencies(session: SessionDep, _user: CurrentUser = require("officer", "auditor", "admin"),
                  limit: int = Query(100, ge=1, le=1000), offset: Offset = 0) -> dict:
    """List agencies with licence status."""
    today = dt.date.today()
    rows = session.scalars(select(Agency).order_by(Agency.id).offset(offset).limit(limit))
    return {"items": [agency_json(a, today) for a in rows],
            "total": session.scalar(select(func.count(Agency.id)))}


@router.get("/{agency_id}")
def get_agency(agency_id: IdPath, session: SessionDep, response: Response,
               _user: CurrentUser = require("officer", "auditor", "admin")) -> dict:
    """Return one agency."""
    a = service.get(session, Agency, agency_id)
    response.headers["ETag"] = writes.etag(a.version)
    return agency_json(a, dt.date.today())


@router.post("", status_code=status.HTTP_201_CREATED)
def create_agency(body: AgencyIn, session: SessionDep, ix: IndexerDep, key: IdempotencyKeyDep,
                  user: CurrentUser = require("admin")) -> Response:
    """Register an agency and its licence."""
    return writes.create(session, ix, user, key, "agencies", body.model_dump(mode="json"),
                         lambda: agency_json(service.create(session, Agency, body),
                                             dt.date.today()))


@router.patch("/{agency_id}")
def patch_agency(agency_id: IdPath, body: AgencyPatch, session: SessionDep, ix: IndexerDep,
                 response: Response, expected: IfMatchDep,
                 _user: CurrentUser = require("admin")) -> dict:
    """Change an agency (a licence change re-indexes its job orders); If-Match guards (412)."""
    return writes.update(session, ix, response, lambda: agency_json(
        service.update(session, Agency, agency_id, body, expected_version=expected),
        dt.date.today()))


@router.delete("/{agency_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_agency(agency_id: IdPath, session: SessionDep, ix: IndexerDep,
                  _user: CurrentUser = require("admin")) -> None:
    """Delete an agency that has no job orders."""
    writes.delete(session, ix, lambda: service.delete(session, Agency, agency_id))
