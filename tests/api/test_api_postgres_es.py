"""The API suite again, on the at-scale configuration: PostgreSQL records + Elasticsearch search.

Every test of ``test_api.py`` runs here unchanged against a throwaway PostgreSQL database
(``shetu_test_<uuid>``, dropped afterwards) and indexes under a unique Elasticsearch prefix
(deleted afterwards); only the ``seeded`` fixture differs.
"""

from __future__ import annotations

import uuid

import pytest
from live_services import ES_URL, needs_es, needs_postgres, throwaway_database
from support import make_settings, seed_registry
from test_api import *  # noqa: F403 — the same tests, on this module's ``seeded``

from indexer.documents import JOBS, WORKERS

pytestmark = [pytest.mark.integration, needs_postgres, needs_es]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, taxonomy):
    """A small seeded registry on PostgreSQL, indexed in Elasticsearch."""
    with throwaway_database() as url:
        settings = make_settings(tmp_path_factory.mktemp("seeded-pg-es"), database_url=url,
                                 search_backend="elasticsearch", elasticsearch_url=ES_URL,
                                 index_prefix=f"shetu-test-{uuid.uuid4().hex[:8]}",
                                 elasticsearch_timeout_s=10)
        out = seed_registry(settings, taxonomy)
        out["settings"] = settings
        yield out
        backend = out["indexer"].backend
        for index in (WORKERS, JOBS):
            backend.drop_index(index)
        backend.close()


def test_this_module_really_runs_on_postgres_and_elasticsearch(seeded):
    ix = seeded["indexer"]
    assert ix.backend.name == "elasticsearch"
    assert seeded["settings"].database_url.startswith("postgresql+psycopg://")
    assert ix.backend.count(WORKERS) == 150 and ix.verify()["workers"].clean
