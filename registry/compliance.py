"""Compliance rules: migration-cost ceilings, licence validity, matchable demand, fee flags.

Figures live in ``shared/data/bangladesh/migration_cost_ceilings.csv`` with their sources; the
ceiling used for a destination is the newest government-fixed migration cost reported for
workers in general (rows for state-agency fees are other figures and are skipped).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from registry.models import Agency, JobOrder
from registry.vocab import JOB_VERIFIED, LICENCE_EXPIRED, LICENCE_VALID

# Qatar is not in the CSV; DOMAIN.md gives 100,780 (The Financial Express 2019, as Oman).
FALLBACK_CEILINGS_BDT = {"Qatar": 100_780}


@dataclass(frozen=True, slots=True)
class CostCeiling:
    """The legal maximum a worker may pay to migrate to a destination, with its source."""

    destination: str
    amount_bdt: int
    reported: str
    publisher: str
    source_url: str


def _year(reported: str) -> int:
    m = re.search(r"(\d{4})", reported)
    return int(m.group(1)) if m else 0


@lru_cache(maxsize=4)
def cost_ceilings(data_dir: Path) -> dict[str, CostCeiling]:
    """Return the current cost ceiling per destination from the shared data."""
    path = Path(data_dir) / "bangladesh" / "migration_cost_ceilings.csv"
    best: dict[str, CostCeiling] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            kind = r["cost_type"].lower()
            if "government-fixed" not in kind:
                continue
            if r["applies_to"] not in ("worker", "male worker"):
                continue
            c = CostCeiling(r["destination"], int(float(r["amount_bdt"])), r["reported_date"],
                            r["publisher"], r["source_url"])
            prev = best.get(c.destination)
            if prev is None or _year(c.reported) >= _year(prev.reported):
                best[c.destination] = c
    for dest, amount in FALLBACK_CEILINGS_BDT.items():
        best.setdefault(dest, CostCeiling(dest, amount, "2019-04-11", "The Financial Express (BD)",
                                          "see shared/DOMAIN.md"))
    return best


def licence_is_valid(agency: Agency, today: dt.date) -> bool:
    """Return whether the agency's licence is in force on ``today``."""
    return agency.licence_status == LICENCE_VALID and agency.licence_valid_until >= today


def licence_status(agency: Agency, today: dt.date) -> str:
    """Return ``valid``, ``expired``, ``suspended`` or ``cancelled`` as seen on ``today``."""
    if agency.licence_status != LICENCE_VALID:
        return agency.licence_status
    return LICENCE_VALID if agency.licence_valid_until >= today else LICENCE_EXPIRED


def job_is_verified(job: JobOrder) -> bool:
    """Return whether the demand is verified: attested demand letter and recruitment permission."""
    return (job.status == JOB_VERIFIED and job.demand_letter_attested
            and bool(job.recruitment_permission))


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a job order is not matchable: a stable ``code`` (pages show it in their language,
    ``api.i18n.names.NOT_MATCHABLE``), the English ``text`` (the API's), and the values the
    sentence names (``date``, ``status``)."""

    code: str
    text: str
    date: dt.date | None = None
    status: str | None = None


def not_matchable_reasons(job: JobOrder, today: dt.date) -> list[Reason]:
    """Return why the job order cannot be matched on ``today`` (empty when it can).

    A job order is matchable only if its demand is verified, its deadline has not passed, its
    agency's licence is in force and its employer is active.
    """
    reasons = []
    if not job_is_verified(job):
        reasons.append(Reason("not_verified", "demand not verified (attested demand letter and "
                                              "recruitment permission needed)"))
    if job.deadline < today:
        reasons.append(Reason("deadline_passed", f"deadline {job.deadline.isoformat()} has passed",
                              date=job.deadline))
    if job.agency is None:
        reasons.append(Reason("no_agency", "no agency"))
    else:
        status = licence_status(job.agency, today)
        if status != LICENCE_VALID:
            reasons.append(Reason("licence_not_valid", f"agency licence is {status}",
                                  status=status))
    if job.employer is not None and job.employer.active is False:
        reasons.append(Reason("employer_inactive", "employer is deactivated"))
    return reasons


def why_not_matchable(job: JobOrder, today: dt.date) -> list[str]:
    """Return why the job order cannot be matched on ``today``, in English (empty when it can)."""
    return [r.text for r in not_matchable_reasons(job, today)]


def job_is_matchable(job: JobOrder, today: dt.date) -> bool:
    """A job order is matchable only if verified, not expired, and its agency licensed."""
    return (job_is_verified(job) and job.deadline >= today
            and job.agency is not None and licence_is_valid(job.agency, today)
            and (job.employer is None or job.employer.active is not False))


def fee_flags(fee_paid_bdt: float | None, ceiling_bdt: int | None) -> list[str]:
    """Return the compliance flags for a fee a worker reported paying."""
    flags = []
    if fee_paid_bdt and fee_paid_bdt > 0:
        # ILO General Principles / IOM IRIS: employer pays; any fee charged is flagged.
        flags.append("fee_charged_to_worker")
        if ceiling_bdt is not None and fee_paid_bdt > ceiling_bdt:
            flags.append("above_legal_ceiling")
    return flags
