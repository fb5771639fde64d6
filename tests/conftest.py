"""Shared fixtures: settings on a temp dir, a small seeded registry + index.

Helpers that test modules call directly live in ``tests/support.py`` (never import conftest).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from support import chromium, make_settings, seed_registry, shetu_server

from registry.config import REPO_ROOT, Settings


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


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, taxonomy):
    """A small seeded registry and index (hashing encoder), shared by a test module."""
    settings = make_settings(tmp_path_factory.mktemp("seeded"))
    out = seed_registry(settings, taxonomy)
    out["settings"] = settings
    yield out
    out["indexer"].backend.close()


@pytest.fixture(scope="module")
def server(seeded):
    """The app served by ``shetu serve`` on this module's seeded registry (browser tests)."""
    seeded["indexer"].backend.close()  # flush the index for the server process
    with shetu_server(seeded["settings"].var_dir) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless, driven by Playwright (browser tests)."""
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def axe_js() -> str:
    """axe-core's script, from the npm package (``scripts/axe.sh``; $SHETU_AXE_JS if set)."""
    path = os.environ.get("SHETU_AXE_JS")
    if not path:
        if shutil.which("npm") is None:
            pytest.skip("npm not installed: cannot fetch axe-core")
        path = subprocess.run(["bash", str(REPO_ROOT / "scripts" / "axe.sh")], check=True,
                              capture_output=True, text=True, timeout=180).stdout.strip()
    return Path(path).read_text(encoding="utf-8")
