"""Workers: create/patch/delete (admin; a worker may edit their own profile), read."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from api.deps import CurrentUser, IndexerDep, SessionDep, UserDep, require
from api.serializers import worker_json
from indexer.freshness import after_commit
from registry import service
from registry.models import AccessLog, Worker
from registry.schemas import WorkerIn, WorkerPatch

router = APIRouter(prefix="/api/v1/workers", tags=["workers"])


def _may_edit(user: CurrentUser, worker_id: int) -> None:
    if user.role == "admin" or (user.role == "worker" and user.worker_id == worker_id):
        return
    raise HTTPException(status.HTTP_403_FORBIDDEN,
                        f"role {user.role!r} may not change worker {worker_id}")


@router.post("", status_code=status.HTTP_201_CREATED)
def create_worker(body: WorkerIn, session: SessionDep, ix: IndexerDep,
                  _user: CurrentUser = require("admin")) -> dict:
    """Register a worker (searchable when the response returns)."""
    w = service.create(session, Worker, body)
    session.commit()
    after_commit(ix)
    return worker_json(w, private=True)


@router.get("/{worker_id}")
def get_worker(worker_id: int, session: SessionDep, user: UserDep) -> dict:
    """Read a worker profile (officers and auditors see no identity numbers; logged)."""
    if user.role == "worker" and user.worker_id != worker_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a worker may read only their own profile")
    w = service.get(session, Worker, worker_id)
    session.add(AccessLog(username=user.username, role=user.role, action="read_profile",
                          worker_id=w.id))
    session.commit()
    return worker_json(w, private=user.role in ("admin", "worker"))


@router.patch("/{worker_id}")
def patch_worker(worker_id: int, body: WorkerPatch, session: SessionDep, ix: IndexerDep,
                 user: UserDep) -> dict:
    """Change a worker profile (admin, or the worker themself)."""
    _may_edit(user, worker_id)
    w = service.update(session, Worker, worker_id, body)
    session.commit()
    after_commit(ix)
    return worker_json(w, private=True)


@router.delete("/{worker_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_worker(worker_id: int, session: SessionDep, ix: IndexerDep,
                  _user: CurrentUser = require("admin")) -> None:
    """Delete a worker (removed from search when the response returns)."""
    service.delete(session, Worker, worker_id)
    session.commit()
    after_commit(ix)
