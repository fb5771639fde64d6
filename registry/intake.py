"""Bulk intake of workers and job orders from CSV (``shetu import`` and the admin upload page).

One code path for both: every row is validated with the API's input models (``WorkerIn``,
``JobOrderIn``) before anything is written; every bad row is reported with its line, field and
reason; the good rows land together in one transaction (with their outbox rows, so the index
follows), so an interrupted import leaves nothing half-written. Natural keys make a rerun of
the same file change nothing: a worker is their NID number, a job order its (agency, employer,
title, destination, deadline).

CSV conventions: one header row naming the fields; list fields (languages, skills,
certificates, required_skills, optional_skills) separated by ``;``; booleans ``true``/``false``;
dates ``YYYY-MM-DD``; attested worker facts need an ``attestation_source`` column (the document
seen), as the API needs an ``attestation``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.bulk import insert_many
from registry.models import Agency, Attestation, Employer, JobOrder, OutboxEvent, Worker
from registry.schemas import JobOrderIn, WorkerIn

Kind = Literal["workers", "job-orders"]
LIST_FIELDS: Final = frozenset({"languages", "skills", "certificates", "required_skills",
                                "optional_skills"})
MAX_ROWS: Final = 1_000_000
MAX_ERRORS_KEPT: Final = 10_000
BATCH: Final = 2_000


@dataclass(frozen=True, slots=True)
class RowError:
    """One bad row: its line in the file (the header is line 1), the field, why."""

    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


@dataclass(slots=True)
class ImportResult:
    """What an import did."""

    rows: int = 0
    created: int = 0
    unchanged: int = 0
    bad: int = 0
    errors: list[RowError] = field(default_factory=list)


def _cell(name: str, value: str) -> Any:
    value = value.strip()
    if value == "":
        return None
    if name in LIST_FIELDS:
        return [v.strip() for v in value.split(";") if v.strip()]
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _row_model(kind: Kind, raw: dict[str, str]) -> BaseModel:
    values = {k.strip(): _cell(k.strip(), v or "") for k, v in raw.items() if k}
    values = {k: v for k, v in values.items() if v is not None}
    if kind == "workers":
        source = values.pop("attestation_source", None)
        if source is not None:
            values["attestation"] = {"source": source,
                                     "reference": values.pop("attestation_reference", None)}
        return WorkerIn.model_validate(values)
    return JobOrderIn.model_validate(values)


def _key(kind: Kind, m: Any) -> Any:
    if kind == "workers":
        return m.nid_number
    return (m.agency_id, m.employer_id, m.title, m.destination, m.deadline)


def _existing_keys(session: Session, kind: Kind) -> set[Any]:
    if kind == "workers":
        return set(session.scalars(select(Worker.nid_number)
                                   .where(Worker.nid_number.is_not(None))))
    return {tuple(r) for r in session.execute(select(
        JobOrder.agency_id, JobOrder.employer_id, JobOrder.title, JobOrder.destination,
        JobOrder.deadline))}


def validate_rows(kind: Kind, lines: Iterable[str], result: ImportResult,
                  existing: set[Any], refs: dict[str, set[int]]) -> list[BaseModel]:
    """Return the models of the good, new rows; count and report the others."""
    reader = csv.DictReader(lines)
    good: list[BaseModel] = []
    seen: dict[Any, int] = {}
    for raw in reader:
        result.rows += 1
        line = reader.line_num
        if result.rows > MAX_ROWS:
            raise ValueError(f"line {line}: more than {MAX_ROWS} rows; split the file")
        err: RowError | None = None
        try:
            m = _row_model(kind, raw)
        except ValidationError as exc:
            e = exc.errors()[0]
            # The CSV column (a list's item index is not a column); a whole-row rule: "row".
            err = RowError(line, str(e["loc"][0]) if e["loc"] else "row", e["msg"])
        else:
            key = _key(kind, m)
            if kind == "workers" and not key:
                err = RowError(line, "nid_number", "required: it is the worker's natural key")
            elif key in seen:
                err = RowError(line, "nid_number" if kind == "workers" else "title",
                               f"the same record as line {seen[key]}")
            elif kind == "job-orders" and m.agency_id not in refs["agency"]:  # type: ignore[attr-defined]
                err = RowError(line, "agency_id", f"agency {m.agency_id} does not exist")  # type: ignore[attr-defined]
            elif kind == "job-orders" and m.employer_id not in refs["employer"]:  # type: ignore[attr-defined]
                err = RowError(line, "employer_id", f"employer {m.employer_id} does not exist")  # type: ignore[attr-defined]
            else:
                seen[key] = line
                if key in existing:
                    result.unchanged += 1
                else:
                    good.append(m)
        if err is not None:
            result.bad += 1
            if len(result.errors) < MAX_ERRORS_KEPT:
                result.errors.append(err)
    if reader.fieldnames is None:
        raise ValueError("line 1: the file is empty (a header row naming the fields is needed)")
    return good


def _write(session: Session, kind: Kind, models: list[BaseModel], username: str,
           role: str, progress: Callable[[int], None]) -> None:
    if kind == "workers":
        _write_workers(session, models, username, role, progress)
        return
    for start in range(0, len(models), BATCH):
        chunk = models[start:start + BATCH]
        objs = [JobOrder(**m.model_dump(mode="python"), version=1) for m in chunk]
        session.add_all(objs)
        session.flush()
        session.add_all(OutboxEvent(entity="job_order", entity_id=o.id, version=1, op="upsert")
                        for o in objs)
        session.flush()
        session.expunge_all()
        progress(len(chunk))


def _write_workers(session: Session, models: list[BaseModel], username: str, role: str,
                   progress: Callable[[int], None]) -> None:
    """Workers in batches of one executemany each (registry.bulk), then their outbox and
    attestation rows; the ids come back by the natural key (nid_number, unique per batch)."""
    conn = session.connection()
    workers = Worker.__table__
    for start in range(0, len(models), BATCH):
        chunk = models[start:start + BATCH]
        rows = []
        for m in chunk:
            values = m.model_dump(mode="python", exclude={"attestation"})
            values["experience"] = [dict(e) for e in values.get("experience") or []]
            values["version"] = 1
            rows.append(values)
        insert_many(conn, workers, rows)  # type: ignore[arg-type]
        nids = [m.nid_number for m in chunk]  # type: ignore[attr-defined]
        ids = dict(session.execute(select(Worker.nid_number, Worker.id)
                                   .where(Worker.nid_number.in_(nids))).all())  # type: ignore[arg-type]
        insert_many(conn, OutboxEvent.__table__,  # type: ignore[arg-type]
                    [{"entity": "worker", "entity_id": ids[n], "version": 1, "op": "upsert"}
                     for n in nids])
        for m in chunk:
            att = m.attestation  # type: ignore[attr-defined]
            if att is not None:
                session.add_all(Attestation(
                    worker_id=ids[m.nid_number], field=f, source=att.source,  # type: ignore[attr-defined]
                    reference=att.reference, value=json.dumps(getattr(m, f), default=str),
                    attested_by=username, role=role)
                    for f in sorted(m.attested_fields()))  # type: ignore[attr-defined]
        session.flush()
        progress(len(chunk))


def import_csv(session: Session, kind: Kind, text: str | io.TextIOBase, *, username: str,
               role: str = "admin", progress: Callable[[int], None] = lambda _n: None
               ) -> ImportResult:
    """Validate every row, then write the good, new ones in the caller's transaction.

    The caller commits (or rolls back: then nothing of the file is stored).
    """
    if kind not in ("workers", "job-orders"):
        raise ValueError(f"kind: {kind!r} is not workers or job-orders")
    lines = io.StringIO(text) if isinstance(text, str) else text
    result = ImportResult()
    refs = {"agency": set(session.scalars(select(Agency.id))),
            "employer": set(session.scalars(select(Employer.id)))}
    good = validate_rows(kind, lines, result, _existing_keys(session, kind), refs)
    _write(session, kind, good, username, role, progress)
    result.created = len(good)
    return result
