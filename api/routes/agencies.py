"""Agencies: list/read (officer, auditor, admin), create/patch/delete (admin)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query, status
from sqlalchemy import func, select

from api.deps import CurrentUser, IndexerDep, SessionDep, require
from api.serializers import agency_json
from indexer.freshness import after_commit
from registry import service
from registry.models import Agency
from registry.schemas import AgencyIn, AgencyPatch

router = APIRouter(prefix="/api/v1/agencies", tags=["agencies"])


@router.get("")
def list_agencies(session: SessionDep, _user: CurrentUser = require("officer", "auditor", "admin"),
                  limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)) -> dict:
    """List agencies with licence status."""
    today = dt.date.today()
    rows = session.scalars(select(Agency).order_by(Agency.id).offset(offset).limit(limit))
    return {"items": [agency_json(a, today) for a in rows],
            "total": session.scalar(select(func.count(Agency.id)))}


@router.get("/{agency_id}")
def get_agency(agency_id: int, session: SessionDep,
               _user: CurrentUser = require("officer", "auditor", "admin")) -> dict:
    """Return one agency."""
    return agency_json(service.get(session, Agency, agency_id), dt.date.today())


@router.post("", status_code=status.HTTP_201_CREATED)
def create_agency(body: AgencyIn, session: SessionDep, ix: IndexerDep,
                  _user: CurrentUser = require("admin")) -> dict:
    """Register an agency and its licence."""
    a = service.create(session, Agency, body)
    session.commit()
    after_commit(ix)
    return agency_json(a, dt.date.today())


@router.patch("/{agency_id}")
def patch_agency(agency_id: int, body: AgencyPatch, session: SessionDep, ix: IndexerDep,
                 _user: CurrentUser = require("admin")) -> dict:
    """Change an agency (a licence change re-indexes its job orders)."""
    a = service.update(session, Agency, agency_id, body)
    session.commit()
    after_commit(ix)
    return agency_json(a, dt.date.today())


@router.delete("/{agency_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_agency(agency_id: int, session: SessionDep, ix: IndexerDep,
                  _user: CurrentUser = require("admin")) -> None:
    """Delete an agency that has no job orders."""
    service.delete(session, Agency, agency_id)
    session.commit()
    after_commit(ix)
