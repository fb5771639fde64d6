"""The route tests run on the embedded default and, as integration tests, again unchanged on
the at-scale configuration: PostgreSQL records + Elasticsearch search (a throwaway database and
a unique index prefix, dropped afterwards). Only the ``seeded`` fixture differs."""

from __future__ import annotations

import datetime as dt

import pytest
from live_services import needs_es, needs_postgres, seeded_on_postgres_es
from sqlalchemy import select
from support import make_settings, seed_registry

from registry.compliance import job_is_matchable
from registry.db import session_scope
from registry.models import JobOrder, User

AT_SCALE = pytest.param("postgres+elasticsearch",
                        marks=[pytest.mark.integration, needs_postgres, needs_es])


@pytest.fixture(scope="module", params=["embedded", AT_SCALE])
def seeded(request, tmp_path_factory, taxonomy):
    """A small seeded registry and index for this module, on one of the two configurations."""
    var_dir = tmp_path_factory.mktemp("seeded")
    if request.param == "embedded":
        settings = make_settings(var_dir)
        out = seed_registry(settings, taxonomy)
        out["settings"] = settings
        yield out
        out["indexer"].backend.close()
        return
    with seeded_on_postgres_es(var_dir, taxonomy) as out:
        yield out


@pytest.fixture(scope="module")
def officer_job(seeded):
    """The demo officer's agency, one of its matchable job orders, another agency's order and a
    draft order (ids)."""
    today = dt.date.today()
    with session_scope(seeded["settings"].database_url) as s:
        officer = s.scalar(select(User).where(User.username == "officer"))
        jobs = [j for j in s.scalars(select(JobOrder).where(JobOrder.agency_id ==
                                                           officer.agency_id))
                if job_is_matchable(j, today)]
        other = s.scalar(select(JobOrder).where(JobOrder.agency_id != officer.agency_id))
        unverified = s.scalar(select(JobOrder).where(JobOrder.status == "draft"))
        return {"own": jobs[0].id, "other": other.id, "draft": unverified.id,
                "agency_id": officer.agency_id}
