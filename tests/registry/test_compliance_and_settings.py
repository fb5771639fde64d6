"""Cost ceilings from the shared data, licence validity, fee flags, unsafe settings refused."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from support import DATA_DIR

from registry.compliance import cost_ceilings, fee_flags, licence_is_valid, licence_status
from registry.config import REPO_ROOT, Settings
from registry.models import Agency


def test_cost_ceilings_are_the_current_government_figures():
    c = cost_ceilings(DATA_DIR)
    assert c["Saudi Arabia"].amount_bdt == 165_000
    assert c["Malaysia"].amount_bdt == 78_990  # the 2022 order supersedes 160,000
    assert c["United Arab Emirates"].amount_bdt == 107_780
    assert c["Qatar"].amount_bdt == 100_780
    assert c["Saudi Arabia"].source_url.startswith("http")


def test_fees_charged_to_workers_are_flagged_and_above_ceiling_too():
    assert fee_flags(None, 100_000) == []
    assert fee_flags(50_000, 100_000) == ["fee_charged_to_worker"]
    assert fee_flags(300_000, 100_000) == ["fee_charged_to_worker", "above_legal_ceiling"]


def test_licence_validity_depends_on_status_and_date():
    today = dt.date(2026, 11, 28)
    a = Agency(name="x", licence_number="RL-1", licence_status="valid",
               licence_valid_until=today)
    assert licence_is_valid(a, today) and licence_status(a, today) == "valid"
    assert licence_status(a, today + dt.timedelta(days=1)) == "expired"
    a.licence_status = "suspended"
    assert not licence_is_valid(a, today) and licence_status(a, today) == "suspended"


def test_production_refuses_the_development_secret_and_demo_accounts():
    with pytest.raises(ValueError, match="SHETU_SECRET_KEY"):
        Settings(env="production")
    with pytest.raises(ValueError, match="DEMO_ACCOUNTS"):
        Settings(env="production", secret_key="x" * 40, demo_accounts=True)
    ok = Settings(env="production", secret_key="x" * 40)
    assert ok.demo_accounts is False
    assert Settings(env="dev").demo_accounts is True


def test_production_server_refuses_to_start_with_a_clear_message(tmp_path):
    env = {"SHETU_ENV": "production", "SHETU_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "api.cli", "serve"], cwd=REPO_ROOT, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "SHETU_SECRET_KEY" in r.stderr


def test_settings_are_not_read_at_import():
    code = ("import os; os.environ['SHETU_ENV']='bogus'; import registry.config, api.app, "
            "indexer.service; print('imported')")
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and "imported" in r.stdout
