"""The at-scale configuration the route tests also run on (tests/api/routes/conftest.py):
PostgreSQL records + Elasticsearch search, really in use."""

from __future__ import annotations

import pytest
from live_services import needs_es, needs_postgres, seeded_on_postgres_es

from indexer.documents import WORKERS

pytestmark = [pytest.mark.integration, needs_postgres, needs_es]


def test_the_at_scale_seeding_really_runs_on_postgres_and_elasticsearch(tmp_path, taxonomy):
    with seeded_on_postgres_es(tmp_path, taxonomy) as seeded:
        ix = seeded["indexer"]
        assert ix.backend.name == "elasticsearch"
        assert seeded["settings"].database_url.startswith("postgresql+psycopg://")
        assert ix.backend.count(WORKERS) == 150 and ix.verify()["workers"].clean
