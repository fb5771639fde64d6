"""Test helpers shared by every test package: settings on a temp dir, a small seeded registry.

A plain module (test files import it as ``support``, like ``live_services``); ``conftest.py``
holds only fixtures, so no test imports from ``conftest``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from matcher.normalise import Concept as _Concept
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


# A minimal valid PDF: what a demand-letter upload needs (checked by its magic bytes).
PDF_LETTER = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages"
              b"/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def letter_form(**overrides: str) -> dict[str, str]:
    """The demand letter's facts as the submit form sends them."""
    values = {"attestation_number": "KSA-ATT-2026-0042", "attestation_date":
              (dt.date.today() - dt.timedelta(days=3)).isoformat(),
              "attesting_mission": "Bangladesh Embassy, Riyadh (labour wing)",
              "recruitment_permission": "BMET-RP-7781"}
    values.update(overrides)
    return values


def submit_and_verify(client: Any, job_id: int, agency_headers: dict[str, str],
                      ministry_headers: dict[str, str]) -> dict[str, Any]:
    """Take a draft job order through submit (with a PDF letter) and verify; return it."""
    r = client.post(f"/api/v1/job-orders/{job_id}/submit", data=letter_form(),
                    files={"demand_letter": ("letter.pdf", PDF_LETTER, "application/pdf")},
                    headers=agency_headers)
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/job-orders/{job_id}/verify", json={"reason": "letter checked"},
                    headers=ministry_headers)
    assert r.status_code == 200, r.text
    return r.json()


# --- A served app and a browser, for the Playwright tests ----------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def shetu_server(var_dir: Path) -> Iterator[str]:
    """Run ``shetu serve`` on the registry and index under ``var_dir``, as a user would start it
    (test settings, hashing encoder); yield its base URL; stop it (by its PID) afterwards."""
    port = free_port()
    env = {**os.environ, "SHETU_VAR_DIR": str(var_dir), "SHETU_ENV": "test",
           "SHETU_MODEL": "hashing", "SHETU_DATA_DIR": str(DATA_DIR)}
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
                            cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise RuntimeError("shetu serve did not answer /health within a minute")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's chromium, headless, driven by Playwright (which downloads no browser here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


# --- Browser-test helpers (the fixtures `server` and `browser` live in tests/conftest.py) ---
PHONE = {"width": 360, "height": 740}
SIZES = {"phone": PHONE, "desktop": {"width": 1366, "height": 768}}
# Run in a page after the ``axe_js`` fixture's script: axe-core's serious and critical findings.
AXE_SERIOUS = """async () => {
    const r = await axe.run(document, {resultTypes: ['violations']});
    return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
      .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""
# Screenshots go where SHETU_SCREENSHOTS points (CI keeps them as artefacts), else nowhere.
SHOTS = os.environ.get("SHETU_SCREENSHOTS")
BROWSER_MARKS = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium not installed"),
]


def phone(browser: Any, locale: str) -> Any:
    """A new phone-sized browser context whose Accept-Language is ``locale``."""
    return browser.new_context(viewport=PHONE, locale=locale, device_scale_factor=2,
                               is_mobile=True, has_touch=True)


def shot(page: Any, name: str) -> None:
    """A full-page screenshot ``name``.png under $SHETU_SCREENSHOTS, when it is set."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def sign_in(page: Any, base: str, user: str, password: str = "shetu-demo") -> None:
    page.goto(base + "/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def fits_the_phone(page: Any) -> bool:
    """No page-level horizontal scroll."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


# --- Six toy ESCO-like occupations for ranker tests (matcher.normalise.Concept) ---
OCC = "http://data.europa.eu/esco/occupation/"
CONCEPTS = [
    _Concept(OCC + "tile", "tile fitter", ("tiler", "tile setter", "floor tiler"),
            "tile fitter. Tile fitters lay tiles on walls and floors. install tiles", "7122.4"),
    _Concept(OCC + "brick", "bricklayer", ("brick mason", "mason", "brickie"),
            "bricklayer. Bricklayers build walls from bricks and mortar. lay bricks", "7112.1"),
    _Concept(OCC + "weld", "welder", ("welding operator", "fabrication welder"),
            "welder. Welders join metal parts using welding equipment", "7212.3"),
    _Concept(OCC + "drive", "bus driver", ("coach driver", "bus operator"),
            "bus driver. Bus drivers drive buses and carry passengers", "8331.1"),
    _Concept(OCC + "clean", "domestic cleaner", ("house cleaner", "maid"),
            "domestic cleaner. Domestic cleaners clean private homes", "9111.1"),
    _Concept(OCC + "elec", "electrician", ("electrical fitter", "wireman"),
            "electrician. Electricians install electrical wiring in buildings", "7411.1"),
]
