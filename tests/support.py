"""Test helpers shared by every test package: settings on a temp dir, a small seeded registry.

A plain module (test files import it as ``support``, like ``live_services``); ``conftest.py``
holds only fixtures, so no test imports from ``conftest``.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from registry.config import REPO_ROOT, Settings

DATA_DIR = Path(os.environ.get("SHETU_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))
# ``scripts/services.sh env`` exports the services' URLs for the integration tests that ask for
# them (tests/live_services.py). The database URL is taken out of the environment so that every
# other test, and the CLI subprocesses they start, keep their own SQLite file under a temp dir.
POSTGRES_URL = os.environ.pop("SHETU_DATABASE_URL", "")


def make_settings(var_dir: Path, **overrides: Any) -> Settings:
    """Return test settings rooted at ``var_dir`` (ESCO cache shared across tests)."""
    values: dict[str, Any] = {"env": "test", "var_dir": var_dir, "data_dir": DATA_DIR,
                              "model": "hashing", "search_backend": "embedded",
                              "freshness": "inprocess"}
    values.update(overrides)
    return Settings(**values)


def seed_registry(settings: Settings, taxonomy: Any, *, workers: int = 150,
                  job_orders: int = 30, agencies: int = 8, seed: int = 3) -> dict[str, Any]:
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
