"""Closed vocabularies and bounds shared by the registry, the API and the index.

Every value a user can send that ends up in a filter field of the search index (languages,
statuses) comes from a closed list here, so no input can grow an index vocabulary without bound.
Bounds match the registry's column widths (PostgreSQL enforces them; SQLite does not).
"""

from __future__ import annotations

from typing import Final, Literal

# Largest id or offset accepted in a URL: registry ids are 32-bit (INTEGER on PostgreSQL).
MAX_ID: Final = 2**31 - 1
MAX_OFFSET: Final = 1_000_000

# Status vocabularies: code compares with these names, never with string literals (the Literal
# types below are the same words for pydantic and the OpenAPI spec; tests/registry checks that
# they agree).
# A job order's demand lifecycle (issue 12), the one job-status vocabulary: draft → submitted
# (with its demand letter) → verified | rejected → expired (the day after its deadline) → closed.
# Who may take each step is in registry.demand; clients never set a status directly.
JOB_DRAFT: Final = "draft"
JOB_SUBMITTED: Final = "submitted"  # the agency sent the demand letter's facts and the letter
JOB_VERIFIED: Final = "verified"  # ministry staff checked the attested letter and permission
JOB_REJECTED: Final = "rejected"  # ministry staff refused it, with a reason
JOB_EXPIRED: Final = "expired"  # verified, then its deadline passed (registry.demand.expire_due)
JOB_CLOSED: Final = "closed"  # filled or withdrawn by its agency
JobStatus = Literal["draft", "submitted", "verified", "rejected", "expired", "closed"]
JOB_STATUSES: Final[tuple[str, ...]] = (JOB_DRAFT, JOB_SUBMITTED, JOB_VERIFIED, JOB_REJECTED,
                                        JOB_EXPIRED, JOB_CLOSED)

LICENCE_VALID: Final = "valid"
LICENCE_EXPIRED: Final = "expired"  # derived: a valid licence past licence_valid_until
LICENCE_SUSPENDED: Final = "suspended"
LICENCE_CANCELLED: Final = "cancelled"
LicenceStatus = Literal["valid", "suspended", "cancelled"]  # what is stored (expiry is derived)
LICENCE_STATUSES: Final[tuple[str, ...]] = (LICENCE_VALID, LICENCE_SUSPENDED, LICENCE_CANCELLED)
LicenceState = Literal["valid", "expired", "suspended", "cancelled"]  # as seen on a day

APPLIED: Final = "applied"
SHORTLISTED: Final = "shortlisted"
SELECTED: Final = "selected"
REJECTED: Final = "rejected"
DEPLOYED: Final = "deployed"
OutcomeStatus = Literal["shortlisted", "selected", "rejected", "deployed"]
ApplicationStatus = Literal["applied", "shortlisted", "selected", "rejected", "deployed"]
APPLICATION_STATUSES: Final[tuple[str, ...]] = (APPLIED, SHORTLISTED, SELECTED, REJECTED,
                                                DEPLOYED)

COMPLAINT_OPEN: Final = "open"
COMPLAINT_RESOLVED: Final = "resolved"

Gender = Literal["male", "female"]

# Which outcome an officer may record after which: a worker is deployed only after being
# selected, selected only after being shortlisted (or having applied and been shortlisted).
# ``None`` is "no application yet": only a shortlisting of a consenting, eligible worker opens one.
OUTCOME_TRANSITIONS: Final[dict[str | None, frozenset[str]]] = {
    None: frozenset({SHORTLISTED}),
    APPLIED: frozenset({SHORTLISTED, REJECTED}),
    SHORTLISTED: frozenset({SELECTED, REJECTED}),
    SELECTED: frozenset({DEPLOYED, REJECTED}),
    REJECTED: frozenset({SHORTLISTED}),
    DEPLOYED: frozenset(),
}

# Languages a worker may speak or a job order may require (English names, as the demand letters
# and BMET forms write them). A closed list: the index keeps one filter code per language.
LANGUAGES: Final[tuple[str, ...]] = (
    "Arabic", "Bangla", "Burmese", "Chinese", "Croatian", "Czech", "Dutch", "English", "Filipino",
    "French", "German", "Greek", "Hebrew", "Hindi", "Hungarian", "Indonesian", "Italian",
    "Japanese", "Khmer", "Korean", "Malay", "Maltese", "Nepali", "Persian", "Polish",
    "Portuguese", "Romanian", "Russian", "Serbian", "Sinhala", "Slovak", "Spanish", "Swahili",
    "Tamil", "Thai", "Turkish", "Urdu", "Vietnamese",
)
_LANGUAGE_KEYS: Final = {lang.casefold(): lang for lang in LANGUAGES} | {
    "bengali": "Bangla", "bangla": "Bangla", "mandarin": "Chinese", "tagalog": "Filipino",
    "farsi": "Persian", "bahasa malaysia": "Malay", "bahasa melayu": "Malay",
    "bahasa indonesia": "Indonesian",
}
MAX_LANGUAGES: Final = 10


def normalise_language(value: str) -> str:
    """Return the canonical name of a language, or raise ValueError naming the value."""
    key = " ".join(str(value).split()).casefold()
    try:
        return _LANGUAGE_KEYS[key]
    except KeyError:
        shown = str(value)[:40]
        raise ValueError(f"unknown language {shown!r}: use one of {', '.join(LANGUAGES)}") from None


def normalise_languages(values: list[str]) -> list[str]:
    """Return the canonical, de-duplicated names of a list of languages (order kept)."""
    if len(values) > MAX_LANGUAGES:
        raise ValueError(f"at most {MAX_LANGUAGES} languages")
    return list(dict.fromkeys(normalise_language(v) for v in values))


# Facts about a worker that only an officer or admin may set, from a document they saw
# (medical certificate, BMET card, NTVQF/BTEB certificate, passport). A worker's own edits are
# limited to what is theirs to say: WORKER_SELF_FIELDS.
ATTESTED_WORKER_FIELDS: Final[frozenset[str]] = frozenset({
    "medical_fit", "medical_date", "bmet_registration", "ntvqf_level", "certificates",
    "passport_number", "passport_expiry",
})
WORKER_SELF_FIELDS: Final[frozenset[str]] = frozenset({
    "phone", "district", "languages", "skills", "experience", "self_description", "consent",
})


# --- Demand lifecycle, worker reports, complaints (issues 12, 13, 14) -------------------------

# The lifecycle names kept for code written against them: the same vocabulary as JobStatus.
JobLifecycleStatus = JobStatus
JOB_LIFECYCLE_STATUSES: Final[tuple[str, ...]] = JOB_STATUSES
JOB_TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    "draft": frozenset({"submitted", "closed"}),
    "submitted": frozenset({"verified", "rejected"}),
    "rejected": frozenset({"submitted", "closed"}),
    "verified": frozenset({"expired", "closed"}),
    "expired": frozenset({"closed"}),
    "closed": frozenset(),
}
# Job orders still "open" for the licence rule: demand an agency is still working on.
OPEN_JOB_STATUSES: Final[frozenset[str]] = frozenset({"draft", "submitted", "verified"})
# Ministry staff verify or reject demand. A separate role from ``auditor``: the auditor audits
# verification decisions, so must not make them (separation of duties); admins may do both.
DEMAND_VERIFIER_ROLES: Final[frozenset[str]] = frozenset({"ministry", "admin"})
DEMAND_AGENCY_ROLES: Final[frozenset[str]] = frozenset({"officer", "admin"})
# Every role a user account may have.
USER_ROLES: Final[tuple[str, ...]] = ("officer", "worker", "auditor", "ministry", "admin")

ComplaintCategory = Literal["excess_fee", "contract_substitution", "fake_demand",
                            "passport_retention", "wage_theft", "delay", "abuse", "other"]
COMPLAINT_CATEGORIES: Final[tuple[str, ...]] = (
    "excess_fee", "contract_substitution", "fake_demand", "passport_retention", "wage_theft",
    "delay", "abuse", "other")
ComplaintStatus = Literal["open", "acknowledged", "resolved", "dismissed"]
COMPLAINT_STATUSES: Final[tuple[str, ...]] = ("open", "acknowledged", "resolved", "dismissed")
COMPLAINT_TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    "open": frozenset({"acknowledged", "resolved", "dismissed"}),
    "acknowledged": frozenset({"resolved", "dismissed"}),
    "resolved": frozenset(),
    "dismissed": frozenset(),
}

# What a reported fee was for (the worker's words mapped to a closed list). Under the
# employer-pays principle none of these is the worker's to pay except the government's own
# fees inside the ceiling (welfare fund, insurance, passport; mrc-bangladesh.org FAQ).
FeePurpose = Literal["recruitment_fee", "service_charge", "visa", "air_fare", "medical",
                     "training", "passport", "welfare_fund", "insurance", "documents", "other"]
FEE_PURPOSES: Final[tuple[str, ...]] = (
    "recruitment_fee", "service_charge", "visa", "air_fare", "medical", "training", "passport",
    "welfare_fund", "insurance", "documents", "other")
ReportStatus = Literal["received", "under_review", "substantiated", "unsubstantiated"]
REPORT_STATUSES: Final[tuple[str, ...]] = (
    "received", "under_review", "substantiated", "unsubstantiated")
REPORT_TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    "received": frozenset({"under_review", "substantiated", "unsubstantiated"}),
    "under_review": frozenset({"substantiated", "unsubstantiated"}),
    "substantiated": frozenset(),
    "unsubstantiated": frozenset(),
}
InterestStatus = Literal["active", "withdrawn"]
INTEREST_STATUSES: Final[tuple[str, ...]] = ("active", "withdrawn")
