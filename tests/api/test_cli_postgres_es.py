"""The CLI flows of ``test_cli.py`` on PostgreSQL + Elasticsearch: seed, match, verify/repair,
and ``shetu reindex`` building ``…-v2`` beside ``…-v1`` and swapping the alias."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from live_services import ES_URL, needs_es, needs_postgres, throwaway_database
from sqlalchemy import text
from support import DATA_DIR

from indexer.documents import JOBS, WORKERS
from indexer.elasticsearch import ElasticsearchBackend
from registry.config import REPO_ROOT
from registry.db import session_scope

pytestmark = [pytest.mark.integration, needs_postgres, needs_es]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with throwaway_database() as url:
        prefix = f"shetu-test-{uuid.uuid4().hex[:8]}"
        env = {**os.environ, "SHETU_VAR_DIR": str(tmp_path_factory.mktemp("cli-pg-es")),
               "SHETU_DATA_DIR": str(DATA_DIR), "SHETU_MODEL": "hashing", "SHETU_ENV": "test",
               "SHETU_DATABASE_URL": url, "SHETU_SEARCH_BACKEND": "elasticsearch",
               "SHETU_ELASTICSEARCH_URL": ES_URL, "SHETU_INDEX_PREFIX": prefix}
        backend = ElasticsearchBackend(ES_URL, prefix=prefix)
        try:
            yield {"env": env, "url": url, "backend": backend}
        finally:
            for index in (WORKERS, JOBS):
                backend.drop_index(index)
            backend.close()


def shetu(stack, *args, check=True):
    r = subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=REPO_ROOT, env=stack["env"],
                       capture_output=True, text=True, timeout=600)
    if check:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def test_seed_match_verify_repair_reindex(stack):
    r = shetu(stack, "seed", "--seed", "5", "--workers", "120", "--job-orders", "25",
              "--agencies", "6")
    assert "120 workers" in r.stdout
    backend = stack["backend"]
    assert backend.count(WORKERS) == 120 and backend.count(JOBS) == 25
    with session_scope(stack["url"]) as s:
        jid = s.execute(text(
            "select j.id from job_orders j join agencies a on a.id = j.agency_id "
            "where j.status = 'verified' and j.demand_letter_attested and "
            "j.recruitment_permission is not null and j.deadline >= current_date and "
            "a.licence_status = 'valid' and a.licence_valid_until >= current_date "
            "order by j.id limit 1")).scalar_one()
    out = shetu(stack, "match", str(jid), "--limit", "3").stdout
    assert "  1. worker" in out and "score" in out

    assert "workers: clean" in shetu(stack, "index", "verify").stdout
    with session_scope(stack["url"]) as s:
        s.execute(text("update workers set version = version + 1, ntvqf_level = 4 where id = 3"))
    r = shetu(stack, "index", "verify", check=False)
    assert r.returncode == 1 and "1 stale [3]" in r.stdout
    shetu(stack, "index", "repair")
    assert shetu(stack, "index", "verify").returncode == 0
    assert backend.get(WORKERS, 3).fields["ntvqf_level"] == 4

    live = list(backend.client.indices.get_alias(name=backend.alias(WORKERS)))
    r = shetu(stack, "reindex")
    assert "reindexed: 120 workers, 25 jobs" in r.stdout
    after = list(backend.client.indices.get_alias(name=backend.alias(WORKERS)))
    assert live == [f"{backend.alias(WORKERS)}-v1"] and after == [f"{backend.alias(WORKERS)}-v2"]
    assert not backend.client.indices.exists(index=live[0])
    assert shetu(stack, "index", "verify").returncode == 0
