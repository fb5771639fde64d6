"""Who may change which fields of a worker profile (the field-level write rules).

A worker changes only what is theirs to say (``WORKER_SELF_FIELDS``); attested facts
(``ATTESTED_WORKER_FIELDS``: medical fitness, BMET registration, NTVQF level, certificates,
passport) are set by an officer or an admin, with the document they saw (``attestation``).
"""

from __future__ import annotations

from registry.schemas import WorkerPatch
from registry.service import ForbiddenError, InvalidRecordError
from registry.vocab import ATTESTED_WORKER_FIELDS, WORKER_SELF_FIELDS


def check_worker_patch(role: str, own_worker_id: int | None, worker_id: int,
                       body: WorkerPatch) -> None:
    """Check that a user with ``role`` (and, for a worker, ``own_worker_id``) may apply ``body``.

    Whether an officer may see the worker at all is ``api.access``'s question, asked first.

    :raises ForbiddenError: naming the fields this user may not change on this worker.
    :raises InvalidRecordError: attested facts come without the document they were read from.
    """
    fields = set(body.model_fields_set)
    if role == "admin":
        needs_attestation(body)
        return
    if role == "worker" and own_worker_id == worker_id:
        allowed = WORKER_SELF_FIELDS
    elif role == "officer":
        allowed = ATTESTED_WORKER_FIELDS | {"attestation"}
    else:
        raise ForbiddenError(f"role {role!r} may not change worker {worker_id}")
    refused = sorted(fields - allowed)
    if refused:
        who = "a worker" if role == "worker" else "an officer"
        raise ForbiddenError(f"{who} may not change {', '.join(refused)}"
                             + (" (attested facts are set by an officer or admin from the "
                                "document: medical report, BMET card, certificate, passport)"
                                if role == "worker" else ""))
    needs_attestation(body)


def needs_attestation(body: WorkerPatch) -> None:
    """Raise InvalidRecordError if ``body`` sets attested facts without an ``attestation``."""
    if body.attested_fields() and body.attestation is None:
        raise InvalidRecordError("attestation: required (source: the document seen) to change "
                                 + ", ".join(sorted(body.attested_fields())))
