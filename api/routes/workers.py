"""Workers: create/delete (admin), read (logged), patch with field-level rules.

Who may change what: a worker changes only what is theirs to say (``WORKER_SELF_FIELDS``);
attested facts (medical fitness, BMET registration, NTVQF level, certificates, passport) are set
by an officer (for workers their agency may see) or an admin, with the document they saw.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, HTTPException, Response, status

from api import writes
from api.access import agency_may_see_worker
from api.deps import (
    CurrentUser,
    IdempotencyKeyDep,
    IdPath,
    IfMatchDep,
    IndexerDep,
    SessionDep,
    UserDep,
    require,
)
from api.serializers import worker_json
from registry import service
from registry.audit import log_access
from registry.models import Worker
from registry.schemas import WorkerIn, WorkerPatch
from registry.service import ForbiddenError, InvalidRecordError
from registry.vocab import ATTESTED_WORKER_FIELDS, WORKER_SELF_FIELDS

router = APIRouter(prefix="/api/v1/workers", tags=["workers"])


def _visible_worker(session, user: CurrentUser, worker_id: int) -> Worker:  # type: ignore[no-untyped-def]
    """Return the worker if ``user`` may see them; 404 otherwise (existence is not leaked)."""
    if user.role == "worker" and user.worker_id != worker_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a worker may read only their own profile")
    w = service.get(session, Worker, worker_id)
    if user.role == "officer" and not agency_may_see_worker(session, user.agency_id, w,
                                                            dt.date.today()):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"worker {worker_id} not found")
    return w


def check_patch_rules(user: CurrentUser, worker_id: int, body: WorkerPatch) -> None:
    """Raise ForbiddenError naming the fields ``user`` may not change on this worker, or
    InvalidRecordError when attested facts come without the document they were read from."""
    fields = set(body.model_fields_set)
    if user.role == "admin":
        _needs_attestation(body)
        return
    if user.role == "worker" and user.worker_id == worker_id:
        allowed = WORKER_SELF_FIELDS
    elif user.role == "officer":
        allowed = ATTESTED_WORKER_FIELDS
    else:
        raise ForbiddenError(f"role {user.role!r} may not change worker {worker_id}")
    if user.role == "officer":
        allowed = allowed | {"attestation"}
    refused = sorted(fields - allowed)
    if refused:
        who = "a worker" if user.role == "worker" else "an officer"
        raise ForbiddenError(f"{who} may not change {', '.join(refused)}"
                             + (" (attested facts are set by an officer or admin from the "
                                "document: medical report, BMET card, certificate, passport)"
                                if user.role == "worker" else ""))
    _needs_attestation(body)


def _needs_attestation(body: WorkerPatch) -> None:
    if body.attested_fields() and body.attestation is None:
        raise InvalidRecordError("attestation: required (source: the document seen) to change "
                                 + ", ".join(sorted(body.attested_fields())))


@router.post("", status_code=status.HTTP_201_CREATED)
def create_worker(body: WorkerIn, session: SessionDep, ix: IndexerDep, key: IdempotencyKeyDep,
                  user: CurrentUser = require("admin")) -> Response:
    """Register a worker (searchable when the response returns)."""

    def make() -> dict:
        w = service.create(session, Worker, body)
        if body.attestation is not None:
            service.record_attestations(
                session, w.id, {f: getattr(body, f) for f in body.attested_fields()},
                body.attestation.source, body.attestation.reference, user.username, user.role)
        return worker_json(w, private=True)

    return writes.create(session, ix, user, key, "workers",
                         body.model_dump(mode="json"), make)


@router.get("/{worker_id}")
def get_worker(worker_id: IdPath, session: SessionDep, user: UserDep, response: Response) -> dict:
    """Read a worker profile (officers only for their applicants and eligible consenting
    candidates; officers and auditors see no identity numbers; every read is logged)."""
    w = _visible_worker(session, user, worker_id)
    log_access(session, username=user.username, role=user.role, action="read_profile",
               worker_ids=[w.id])
    session.commit()
    response.headers["ETag"] = writes.etag(w.version)
    return worker_json(w, private=user.role in ("admin", "worker"))


@router.patch("/{worker_id}")
def patch_worker(worker_id: IdPath, body: WorkerPatch, session: SessionDep, ix: IndexerDep,
                 user: UserDep, response: Response, expected: IfMatchDep) -> dict:
    """Change a worker profile within the field rules; ``If-Match: "version"`` guards a stale
    edit (412)."""
    check_patch_rules(user, worker_id, body)
    if user.role == "officer":
        _visible_worker(session, user, worker_id)

    def work() -> dict:
        w = service.update(session, Worker, worker_id, body, expected_version=expected)
        if body.attestation is not None and body.attested_fields():
            service.record_attestations(
                session, w.id, {f: getattr(body, f) for f in body.attested_fields()},
                body.attestation.source, body.attestation.reference, user.username, user.role)
        return worker_json(w, private=user.role in ("admin", "worker"))

    return writes.update(session, ix, response, work)


@router.delete("/{worker_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_worker(worker_id: IdPath, session: SessionDep, ix: IndexerDep,
                  _user: CurrentUser = require("admin")) -> None:
    """Delete a worker (removed from search when the response returns)."""
    writes.delete(session, ix, lambda: service.delete(session, Worker, worker_id))
