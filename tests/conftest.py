"""Shared fixtures: settings on a temp dir, a small seeded registry + index."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from registry.config import REPO_ROOT, Settings

DATA_DIR = Path(os.environ.get("SHETU_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))
# ``scripts/services.sh env`` exports the services' URLs for the integration tests that ask for
# them (tests/services.py). The database URL is taken out of the environment so that every other
# test, and the CLI subprocesses they start, keep their own SQLite file under a temp dir.
POSTGRES_URL = os.environ.pop("SHETU_DATABASE_URL", "")


def make_settings(var_dir: Path, **overrides) -> Settings:
    """Return test settings rooted at ``var_dir`` (ESCO cache shared across tests)."""
    values = {"env": "test", "var_dir": var_dir, "data_dir": DATA_DIR, "model": "hashing",
              "search_backend": "embedded", "freshness": "inprocess"}
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def taxonomy():
    """The real ESCO taxonomy (parsed once, cached in the settings' cache dir)."""
    from matcher.taxonomy import load_taxonomy

    s = make_settings(REPO_ROOT / "var")
    return load_taxonomy(s.esco_dir, s.cache_dir)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Fresh settings with an empty var dir and the hashing encoder."""
    return make_settings(tmp_path)


def seed_registry(settings: Settings, taxonomy, *, workers: int = 150, job_orders: int = 30,
                  agencies: int = 8, seed: int = 3) -> dict:
    """Migrate, seed a small data set with demo users, and index it."""
    from indexer.service import Indexer
    from registry.db import session_scope
    from registry.migrate import upgrade
    from registry.seed import create_demo_users, insert_dataset
    from training.synthetic import generate

    upgrade(settings.database_url)
    data = generate(taxonomy, settings.data_dir, seed=seed, workers=workers,
                    job_orders=job_orders, agencies=agencies, employers=agencies * 2,
                    today=dt.date.today())
    with session_scope(settings.database_url) as s:
        insert_dataset(s, data)
        users = create_demo_users(s)
    ix = Indexer(settings, taxonomy=taxonomy)
    ix.drain_outbox()
    return {"indexer": ix, "users": users, "data": data}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, taxonomy):
    """A small seeded registry and index (hashing encoder), shared by a test module."""
    settings = make_settings(tmp_path_factory.mktemp("seeded"))
    out = seed_registry(settings, taxonomy)
    out["settings"] = settings
    yield out
    out["indexer"].backend.close()
