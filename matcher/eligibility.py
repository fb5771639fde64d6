"""Eligibility rules for a worker and a job order; every failed rule comes back with a reason.

Rules and their sources (see shared/DOMAIN.md): age 18–45, women in domestic work 25–45 (BMET);
passport valid ≥ 6 months at departure (taken as the job order's deadline); GAMCA/Wafid medical
"FIT" where the destination needs it; required NTVQF level; languages; BMET registration
(Overseas Employment and Migrants Act 2013, s.19(3)). Each rule also renders as a search filter so
the index can pre-filter, and as its negation so the API can count who was excluded and why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # the vocabulary is registry.vocab's; the matcher does not import the registry
    from registry.vocab import Gender

FEMALE: Final[Gender] = "female"
PASSPORT_MIN_MONTHS = 6
DOMESTIC_WOMEN_MIN_AGE = 25


@dataclass(frozen=True, slots=True)
class WorkerFacts:
    """What the rules need to know about a worker (no identity numbers)."""

    date_of_birth: dt.date
    gender: str
    passport_expiry: dt.date | None
    medical_fit: bool
    ntvqf_level: int
    languages: tuple[str, ...]
    bmet_registered: bool


@dataclass(frozen=True, slots=True)
class JobFacts:
    """What the rules need to know about a job order."""

    deadline: dt.date
    min_age: int = 18
    max_age: int = 45
    gender_rule: str | None = None
    domestic_work: bool = False
    medical_required: bool = True
    required_ntvqf_level: int = 0
    languages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed rule: a stable code, a reason in English and Bangla, and what would fix it."""

    code: str
    reason: str
    reason_bn: str
    fix: str


@dataclass(slots=True)
class Clause:
    """One filter clause in the search backends' filter language (see indexer/protocol.py)."""

    field: str
    op: str  # eq | in | gte | lte | all
    value: object

    def as_dict(self) -> dict:
        """Return the clause as a plain dict."""
        return {"field": self.field, "op": self.op, "value": self.value}


@dataclass(frozen=True, slots=True)
class Rule:
    """An eligibility rule: a check on facts, and the same rule as index filter clauses."""

    code: str
    check: Callable[[WorkerFacts, JobFacts], Failure | None]
    clauses: Callable[[JobFacts], list[Clause]]
    applies: Callable[[JobFacts], bool] = field(default=lambda _j: True)


def add_months(d: dt.date, months: int) -> dt.date:
    """Return ``d`` plus ``months`` calendar months (day clamped to the month's end)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise ValueError(d)


def age_on(dob: dt.date, on: dt.date) -> int:
    """Return the age in whole years on a date."""
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def age_band(job: JobFacts, gender: str | None = None) -> tuple[int, int]:
    """Return the (min, max) age for the job, raising the floor to 25 for women in domestic work."""
    lo = job.min_age
    if job.domestic_work and gender == FEMALE:
        lo = max(lo, DOMESTIC_WOMEN_MIN_AGE)
    return lo, job.max_age


def _dob_bounds(job: JobFacts, lo: int, hi: int) -> tuple[dt.date, dt.date]:
    """Return the (earliest, latest) date of birth giving an age within [lo, hi] at the deadline."""
    d = job.deadline
    latest = add_months(d, -12 * lo)
    earliest = add_months(d, -12 * (hi + 1)) + dt.timedelta(days=1)
    return earliest, latest


def _check_age(w: WorkerFacts, j: JobFacts) -> Failure | None:
    lo, hi = age_band(j, w.gender)
    age = age_on(w.date_of_birth, j.deadline)
    if lo <= age <= hi:
        return None
    women_domestic = j.domestic_work and w.gender == FEMALE
    extra = " (25–45 for women in domestic work)" if women_domestic else ""
    return Failure("age", f"age {age} is outside {lo}–{hi}{extra}",
                   f"বয়স {age}, প্রয়োজন {lo}–{hi}", "no fix: the age band is set by law")


def _age_clauses(j: JobFacts) -> list[Clause]:
    earliest, latest = _dob_bounds(j, j.min_age, j.max_age)
    clauses = [Clause("date_of_birth", "gte", earliest.isoformat()),
               Clause("date_of_birth", "lte", latest.isoformat())]
    if j.domestic_work and j.min_age < DOMESTIC_WOMEN_MIN_AGE:
        # Women must be 25+: exclude female workers born after the 25-year bound.
        _, latest_w = _dob_bounds(j, DOMESTIC_WOMEN_MIN_AGE, j.max_age)
        clauses.append(Clause("female_dob_cap", "lte", latest_w.isoformat()))
    return clauses


def _check_gender(w: WorkerFacts, j: JobFacts) -> Failure | None:
    if not j.gender_rule or w.gender == j.gender_rule:
        return None
    return Failure("gender_rule", f"the employer's legal rule requires {j.gender_rule} workers",
                   "নিয়োগকর্তার আইনি শর্ত অনুযায়ী প্রযোজ্য নয়", "no fix")


def _check_passport(w: WorkerFacts, j: JobFacts) -> Failure | None:
    need = add_months(j.deadline, PASSPORT_MIN_MONTHS)
    if w.passport_expiry is not None and w.passport_expiry >= need:
        return None
    what = "no passport on record" if w.passport_expiry is None else (
        f"passport expires {w.passport_expiry.isoformat()}")
    return Failure("passport", f"{what}; it must be valid until {need.isoformat()} "
                   f"(6 months after departure)",
                   f"পাসপোর্টের মেয়াদ {need.isoformat()} পর্যন্ত থাকতে হবে",
                   "renew the passport at the Department of Immigration and Passports")


def _check_medical(w: WorkerFacts, j: JobFacts) -> Failure | None:
    if not j.medical_required or w.medical_fit:
        return None
    return Failure("medical", "no medical FIT result on record (GAMCA/Wafid required)",
                   "মেডিকেল ফিট সনদ নেই", "take the GAMCA/Wafid medical at the assigned centre")


def _check_level(w: WorkerFacts, j: JobFacts) -> Failure | None:
    if w.ntvqf_level >= j.required_ntvqf_level:
        return None
    return Failure("ntvqf_level", f"NTVQF level {w.ntvqf_level} is below the required "
                   f"level {j.required_ntvqf_level}",
                   f"এনটিভিকিউএফ লেভেল {j.required_ntvqf_level} প্রয়োজন",
                   f"get an NTVQF level {j.required_ntvqf_level} certificate (BTEB-registered "
                   "course at a BMET technical training centre, or recognition of prior learning)")


def _check_languages(w: WorkerFacts, j: JobFacts) -> Failure | None:
    missing = [lang for lang in j.languages if lang not in w.languages]
    if not missing:
        return None
    return Failure("language", f"language required: {', '.join(missing)}",
                   f"ভাষা প্রয়োজন: {', '.join(missing)}",
                   f"take a language course in {', '.join(missing)}")


def _check_bmet(w: WorkerFacts, _j: JobFacts) -> Failure | None:
    if w.bmet_registered:
        return None
    return Failure("bmet_registration", "not registered with BMET",
                   "বিএমইটি নিবন্ধন নেই", "register with BMET (smart card with fingerprints)")


RULES: tuple[Rule, ...] = (
    Rule("age", _check_age, _age_clauses),
    Rule("gender_rule", _check_gender, lambda j: [Clause("gender", "eq", j.gender_rule)],
         applies=lambda j: bool(j.gender_rule)),
    Rule("passport", _check_passport,
         lambda j: [Clause("passport_expiry", "gte",
                           add_months(j.deadline, PASSPORT_MIN_MONTHS).isoformat())]),
    Rule("medical", _check_medical, lambda _j: [Clause("medical_fit", "eq", True)],
         applies=lambda j: j.medical_required),
    Rule("ntvqf_level", _check_level,
         lambda j: [Clause("ntvqf_level", "gte", j.required_ntvqf_level)],
         applies=lambda j: j.required_ntvqf_level > 0),
    Rule("language", _check_languages, lambda j: [Clause("languages", "all", list(j.languages))],
         applies=lambda j: bool(j.languages)),
    Rule("bmet_registration", _check_bmet, lambda _j: [Clause("bmet_registered", "eq", True)]),
)


def check(worker: WorkerFacts, job: JobFacts) -> list[Failure]:
    """Return every rule the worker fails for the job (empty list: eligible)."""
    return [f for r in RULES if r.applies(job) and (f := r.check(worker, job)) is not None]


def filter_clauses(job: JobFacts) -> list[Clause]:
    """Return the AND-ed index filter that keeps exactly the eligible workers."""
    return [c for r in RULES if r.applies(job) for c in r.clauses(job)]


def rule_filters(job: JobFacts) -> dict[str, list[Clause]]:
    """Return each applicable rule's clauses by rule code (to count who each rule excludes)."""
    return {r.code: r.clauses(job) for r in RULES if r.applies(job)}
