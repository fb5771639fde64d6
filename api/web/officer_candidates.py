"""A job order's candidates on the officer's page: filters, paging, exclusions that add up.

The ranking is ``indexer.ranking.rank_workers_for_job`` over the best ``POOL`` eligible workers;
the page's filters (district, NTVQF level, years of experience, language, and gender only where
the job order carries a legal gender rule) narrow that ranked list, and paging walks it. The
exclusions count each worker once, under the first rule they fail (``indexer.exclusions``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, get_args

from fastapi import Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import CurrentUser
from api.writes import Writes
from indexer.exclusions import Exclusions, first_rule_exclusions
from indexer.ranking import rank_workers_for_job
from indexer.service import Indexer
from matcher.scoring import ScoredMatch
from registry.models import JobOrder, Worker
from registry.service import InvalidRecordError
from registry.vocab import Gender, normalise_language

PAGE_SIZE = 25
POOL = 500  # ranked candidates the filters and pages walk (the best 500 eligible workers)


@dataclass(frozen=True)
class CandidateFilters:
    """The officer's filters and page of the candidate list (all optional)."""

    district: str | None = None
    level: int | None = None
    min_years: float | None = None
    language: str | None = None
    gender: str | None = None
    page: int = 1

    def params(self) -> dict[str, object]:
        """The filters as query parameters (for paging links), without the page."""
        return {k: v for k, v in (("district", self.district), ("level", self.level),
                                  ("min_years", self.min_years), ("language", self.language),
                                  ("gender", self.gender)) if v not in (None, "")}


def number(name: str, value: str | None, lo: float, hi: float) -> float | None:
    """Return a form's number field (empty: None), or raise InvalidRecordError naming it."""
    if value is None or not value.strip():
        return None
    try:
        n = float(value)
    except ValueError:
        raise InvalidRecordError(f"{name}: {value[:20]!r} is not a number") from None
    if not lo <= n <= hi:
        raise InvalidRecordError(f"{name}: between {lo:g} and {hi:g}")
    return n


def read_filters(district: Annotated[str | None, Query(max_length=60)] = None,
                 level: Annotated[str | None, Query(max_length=10)] = None,
                 min_years: Annotated[str | None, Query(max_length=10)] = None,
                 language: Annotated[str | None, Query(max_length=40)] = None,
                 gender: Annotated[str | None, Query(max_length=10)] = None,
                 page: Annotated[int, Query(ge=1, le=1000)] = 1) -> CandidateFilters:
    """Read and check the candidate filters from the query string (422 on a bad value).

    An empty field (a form's "any") is no filter."""
    lvl = number("level", level, 0, 6)
    if lvl is not None and lvl != int(lvl):
        raise InvalidRecordError("level: a whole number")
    years_min = number("min_years", min_years, 0, 60)
    if gender and gender not in get_args(Gender):
        raise InvalidRecordError("gender: female or male")
    lang = None
    if language:
        try:
            lang = normalise_language(language)
        except ValueError as exc:
            raise InvalidRecordError(f"language: {exc}") from None
    return CandidateFilters(district.strip() if district and district.strip() else None,
                            None if lvl is None else int(lvl), years_min, lang, gender or None,
                            page)


filters_dep = Depends(read_filters)


@dataclass
class CandidatePage:
    """One page of filtered, ranked candidates, with who was excluded and why."""

    items: list[ScoredMatch]
    workers: dict[int, Worker]
    rank_of: dict[int, int]
    matching: int  # candidates (in the ranked pool) that pass the filters
    pool: int  # ranked eligible candidates the filters walked
    pages: int
    exclusions: Exclusions
    districts: list[str] = field(default_factory=list)
    gender_filter: bool = False


def years(worker: Worker) -> float:
    """Return the worker's declared years of experience, all occupations together."""
    return sum(float(e.get("years", 0) or 0) for e in worker.experience or [])


def passes(worker: Worker, f: CandidateFilters) -> bool:
    """Return whether a worker passes the page's filters."""
    return ((f.district is None or (worker.district or "").casefold() == f.district.casefold())
            and (f.level is None or (worker.ntvqf_level or 0) >= f.level)
            and (f.min_years is None or years(worker) >= f.min_years)
            and (f.language is None or f.language in (worker.languages or []))
            and (f.gender is None or worker.gender == f.gender))


def candidate_page(session: Session, ix: Indexer, user: CurrentUser, job: JobOrder,
                   f: CandidateFilters) -> CandidatePage:
    """Rank, filter and page the candidates; write the shown ones to the access log.

    :raises InvalidRecordError: a gender filter on a job order with no legal gender rule.
    """
    if f.gender is not None and not job.gender_rule:
        raise InvalidRecordError("gender: a gender filter applies only where the job order "
                                 "carries a legal gender rule")
    ranked = rank_workers_for_job(ix, job, limit=POOL, pool=POOL)
    ids = [m.id for m in ranked.items]
    workers = {w.id: w for w in session.scalars(select(Worker).where(Worker.id.in_(ids)))}
    kept = [m for m in ranked.items if m.id in workers and passes(workers[m.id], f)]
    rank_of = {m.id: i + 1 for i, m in enumerate(ranked.items)}
    start = (f.page - 1) * PAGE_SIZE
    shown = kept[start:start + PAGE_SIZE]
    if shown:
        Writes(session, ix).log_view(user, "rank_candidates", [m.id for m in shown], job.id)
    districts = sorted({w.district for w in workers.values() if w.district})
    return CandidatePage(shown, {m.id: workers[m.id] for m in shown}, rank_of, len(kept),
                         len(ranked.items), max(1, -(-len(kept) // PAGE_SIZE)),
                         first_rule_exclusions(ix, job), districts, bool(job.gender_rule))
