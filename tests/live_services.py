"""Helpers for integration tests on the real services started by ``scripts/services.sh``.

A test that needs a service skips, naming the variable, only when that variable is unset;
``scripts/test.sh`` (``make test``, CI) starts the services and sets all of them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager as ContextManager
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from support import POSTGRES_URL, make_settings, seed_registry

from registry.config import REPO_ROOT
from registry.db import throwaway_database as registry_throwaway_database

ES_URL = os.environ.get("SHETU_ELASTICSEARCH_URL", "")
BROKER_URL = os.environ.get("SHETU_BROKER_URL", "")
SERVICES_SH = REPO_ROOT / "scripts" / "services.sh"
_HOW = ("start them with `bash scripts/services.sh up` and "
        "`eval \"$(bash scripts/services.sh env)\"`")

needs_es = pytest.mark.skipif(not ES_URL, reason=f"SHETU_ELASTICSEARCH_URL is not set; {_HOW}")
needs_postgres = pytest.mark.skipif(not POSTGRES_URL,
                                    reason=f"SHETU_DATABASE_URL is not set; {_HOW}")
needs_redis = pytest.mark.skipif(not BROKER_URL, reason=f"SHETU_BROKER_URL is not set; {_HOW}")


def sqlalchemy_url(url: str) -> str:
    """Return a PostgreSQL URL that names the psycopg 3 driver."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


def throwaway_database() -> ContextManager[str]:
    """Create ``shetu_test_<uuid>`` on the test PostgreSQL, yield its URL, drop it afterwards."""
    return registry_throwaway_database(sqlalchemy_url(POSTGRES_URL), prefix="shetu_test")


def port_open(url: str) -> bool:
    """Return whether something accepts TCP connections at the URL's host and port."""
    u = urlsplit(url)
    try:
        with socket.create_connection((u.hostname or "127.0.0.1", u.port or 80), timeout=0.5):
            return True
    except OSError:
        return False


def services(*args: str, timeout: float = 300) -> None:
    """Run ``scripts/services.sh ARGS`` (e.g. ``down es``, ``up es``) and fail on error."""
    # Elasticsearch takes a minute or more to start on a busy 2-core machine.
    env = {**os.environ, "SHETU_READY_TIMEOUT": os.environ.get("SHETU_READY_TIMEOUT", "240")}
    r = subprocess.run(["bash", str(SERVICES_SH), *args], capture_output=True, text=True,
                       timeout=timeout, env=env)
    assert r.returncode == 0, f"services.sh {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}"


def wait_until(check, timeout: float, what: str, interval: float = 0.2):  # type: ignore[no-untyped-def]
    """Poll ``check()`` until it returns a truthy value; fail naming ``what`` after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


@contextmanager
def seeded_on_postgres_es(var_dir: Path, taxonomy: Any) -> Iterator[dict[str, Any]]:
    """Seed a throwaway PostgreSQL database indexed in Elasticsearch (unique index prefix);
    yield what ``support.seed_registry`` returns plus ``settings``; drop both afterwards."""
    from indexer.documents import JOBS, WORKERS

    with throwaway_database() as url:
        settings = make_settings(var_dir, database_url=url, search_backend="elasticsearch",
                                 elasticsearch_url=ES_URL,
                                 index_prefix=f"shetu-test-{uuid.uuid4().hex[:8]}",
                                 elasticsearch_timeout_s=10)
        out = seed_registry(settings, taxonomy)
        out["settings"] = settings
        try:
            yield out
        finally:
            backend = out["indexer"].backend
            for index in (WORKERS, JOBS):
                backend.drop_index(index)
            backend.close()
