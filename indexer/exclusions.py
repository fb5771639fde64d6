"""Who a job order excludes, each worker counted once: under the FIRST rule they fail.

``rank_workers_for_job`` counts each rule on its own (a worker failing two rules is in both
counts), which cannot add up. Here the rules are applied in order (consent, then
``matcher.eligibility.RULES``) with cumulative filters: a rule's count is the workers who pass
every earlier rule and fail this one, so the counts add up to total − eligible.
"""

from __future__ import annotations

from dataclasses import dataclass

from indexer.documents import WORKERS
from indexer.ranking import CONSENT
from indexer.service import Indexer
from matcher import eligibility
from matcher.inputs import job_facts
from registry.models import JobOrder


@dataclass(frozen=True, slots=True)
class Exclusions:
    """Workers in the index, eligible ones, and the excluded counted under their first rule."""

    total: int
    eligible: int
    first_rule: dict[str, int]  # rule code → workers whose first failed rule it is (in order)


def first_rule_exclusions(ix: Indexer, job: JobOrder) -> Exclusions:
    """Count the workers a job order excludes under the first rule each one fails."""
    ix.ensure_indexes()
    total = ix.backend.count(WORKERS)
    clauses: list[dict] = []
    left = total
    out: dict[str, int] = {}
    steps = [("no_consent", [CONSENT]), *eligibility.rule_filters(job_facts(job)).items()]
    for code, rule_clauses in steps:
        clauses = clauses + [c.as_dict() for c in rule_clauses]
        now = ix.backend.count(WORKERS, clauses)
        out[code] = left - now
        left = now
    return Exclusions(total, left, out)
