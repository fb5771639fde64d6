"""Workers: create/delete (admin), read (logged), patch with field-level rules.

Who may change what is ``registry.permissions``; who may see whom is ``api.access``.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.access import visible_worker
from api.deps import (
    CurrentUser,
    IdempotencyKeyDep,
    IdPath,
    IfMatchDep,
    UserDep,
    require,
)
from api.schemas import WorkerOut
from api.serializers import worker_out
from api.writes import WritesDep, etag
from registry import service
from registry.models import Worker
from registry.permissions import check_worker_patch
from registry.schemas import WorkerIn, WorkerPatch

router = APIRouter(prefix="/api/v1/workers", tags=["workers"])
PRIVATE_ROLES = ("admin", "worker")  # see identity numbers (a worker: their own only)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WorkerOut,
             response_model_exclude_unset=True)
def create_worker(body: WorkerIn, writes: WritesDep, key: IdempotencyKeyDep,
                  user: CurrentUser = require("admin")) -> Response:
    """Register a worker (searchable when the response returns)."""

    def make() -> WorkerOut:
        w = service.create(writes.session, Worker, body)
        if body.attestation is not None:
            service.record_attestations(
                writes.session, w.id, {f: getattr(body, f) for f in body.attested_fields()},
                body.attestation.source, body.attestation.reference, user.username, user.role)
        return worker_out(w, private=True)

    return writes.create(user, key, "workers", body.model_dump(mode="json"), make)


@router.get("/{worker_id}", response_model_exclude_unset=True)
def get_worker(worker_id: IdPath, writes: WritesDep, user: UserDep,
               response: Response) -> WorkerOut:
    """Read a worker profile (officers only for their applicants and eligible consenting
    candidates; officers and auditors see no identity numbers; every read is logged)."""
    w = visible_worker(writes.session, user, worker_id)
    writes.log_view(user, "read_profile", [w.id])
    response.headers["ETag"] = etag(w.version)
    return worker_out(w, private=user.role in PRIVATE_ROLES)


@router.patch("/{worker_id}", response_model_exclude_unset=True)
def patch_worker(worker_id: IdPath, body: WorkerPatch, writes: WritesDep, user: UserDep,
                 response: Response, expected: IfMatchDep) -> WorkerOut:
    """Change a worker profile within the field rules; ``If-Match: "version"`` guards a stale
    edit (412)."""
    check_worker_patch(user.role, user.worker_id, worker_id, body)
    if user.role == "officer":
        visible_worker(writes.session, user, worker_id)

    def work() -> WorkerOut:
        w = service.update(writes.session, Worker, worker_id, body, expected_version=expected)
        if body.attestation is not None and body.attested_fields():
            service.record_attestations(
                writes.session, w.id, {f: getattr(body, f) for f in body.attested_fields()},
                body.attestation.source, body.attestation.reference, user.username, user.role)
        return worker_out(w, private=user.role in PRIVATE_ROLES)

    return writes.update(response, work)


@router.delete("/{worker_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_worker(worker_id: IdPath, writes: WritesDep,
                  _user: CurrentUser = require("admin")) -> None:
    """Delete a worker (removed from search when the response returns)."""
    writes.delete(lambda: service.delete(writes.session, Worker, worker_id))
