"""The route tests run on the embedded default and, as integration tests, again unchanged on
the at-scale configuration: PostgreSQL records + Elasticsearch search (a throwaway database and
a unique index prefix, dropped afterwards). Only the ``seeded`` fixture differs."""

from __future__ import annotations

import pytest
from live_services import needs_es, needs_postgres, seeded_on_postgres_es
from support import make_settings, seed_registry

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
