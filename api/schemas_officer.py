"""Response and request models of the officer's pipeline API (``api.routes.pipeline``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from api.schemas import Out
from registry.pipeline import MAX_BULK, MAX_REASON
from registry.schemas import InModel
from registry.vocab import MAX_ID, ApplicationStatus, OutcomeStatus

WorkerId = Annotated[int, Field(ge=1, le=MAX_ID)]


class PipelineStepIn(InModel):
    """Move these workers one step for a job order (all or none); a rejection needs a reason."""

    worker_ids: list[WorkerId] = Field(min_length=1, max_length=MAX_BULK)
    status: OutcomeStatus
    reason: str | None = Field(default=None, max_length=MAX_REASON)


class PipelineEntryOut(Out):
    """A worker in a job order's pipeline."""

    worker_id: int
    full_name: str
    status: ApplicationStatus
    reason: str | None = Field(default=None, description="why, for a rejection")


class PipelineOut(Out):
    """A job order's pipeline: each worker's step, counts per step, selections vs headcount."""

    job_order_id: int
    headcount: int
    selected: int = Field(description="selected or deployed workers (against the headcount)")
    counts: dict[str, int]
    items: list[PipelineEntryOut]


class ExclusionsOut(Out):
    """Who a job order excludes, each worker counted under the first rule they fail."""

    job_order_id: int
    total: int
    eligible: int
    first_rule: dict[str, int] = Field(description="rule code → workers whose first failed "
                                       "rule it is (consent first, then the eligibility rules "
                                       "in order); adds up to total − eligible")
