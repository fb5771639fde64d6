"""The ``shetu`` CLI as a user runs it: seed, match, reindex, index verify/repair."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from support import DATA_DIR

from registry.config import REPO_ROOT


def shetu(var_dir, *args, check=True):
    env = {**os.environ, "SHETU_VAR_DIR": str(var_dir), "SHETU_DATA_DIR": str(DATA_DIR),
           "SHETU_MODEL": "hashing", "SHETU_ENV": "test"}
    r = subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=REPO_ROOT, env=env,
                       capture_output=True, text=True, timeout=600)
    if check:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


@pytest.fixture(scope="module")
def var(tmp_path_factory):
    v = tmp_path_factory.mktemp("cli")
    r = shetu(v, "seed", "--seed", "5", "--workers", "120", "--job-orders", "25",
              "--agencies", "6")
    assert "seeded: 6 agencies" in r.stdout and "120 workers" in r.stdout
    assert "demo account 'officer'" in r.stdout
    return v


def test_seed_is_deterministic(var, tmp_path):
    shetu(tmp_path, "seed", "--seed", "5", "--workers", "120", "--job-orders", "25",
          "--agencies", "6", "--no-index")
    q = "select title, destination, required_skills from job_orders order by id"
    a = sqlite3.connect(var / "shetu.db").execute(q).fetchall()
    b = sqlite3.connect(tmp_path / "shetu.db").execute(q).fetchall()
    assert a == b and len(a) == 25


def test_seed_adds_the_sourced_helplines_once(var):
    db = sqlite3.connect(var / "shetu.db")
    rows = db.execute("select number, source, checked_on from helplines order by id").fetchall()
    assert [r[0] for r in rows] == ["16135", "+880 9610 102030"]
    assert all(r[1].startswith("https://") and r[2] for r in rows)  # each with where it is from
    trail = db.execute("select username, action from admin_changes where entity = 'helpline'"
                       ).fetchall()
    assert trail == [("shetu seed", "create")] * 2
    shetu(var, "seed", "--if-empty")
    assert db.execute("select count(*) from helplines").fetchone()[0] == 2


def test_seed_quotes_the_sourced_dated_rates_over_the_approximate_ones(var):
    db = sqlite3.connect(var / "shetu.db")
    usd, sar = (db.execute("select bdt_per_unit, rate_date, source from exchange_rates where "
                           "currency = ? order by rate_date desc limit 1", (c,)).fetchone()
                for c in ("USD", "SAR"))
    assert usd[:2] == (122.31, "2025-05-19") and "Bangladesh Bank" in usd[2]
    assert sar[0] == round(122.31 / 3.75, 2) and "peg 3.75" in sar[2]
    # floating currencies keep the migration's labelled approximate figure
    myr = db.execute("select source from exchange_rates where currency = 'MYR'").fetchall()
    assert len(myr) == 1 and myr[0][0].startswith("Seed (approximate")


def test_seeding_a_non_empty_database_is_refused(var):
    r = shetu(var, "seed", check=False)
    assert r.returncode == 1 and "already has records" in r.stderr
    assert "not seeding" in shetu(var, "seed", "--if-empty").stdout


def test_match_prints_ranked_candidates_and_rejects_unknown_ids(var):
    db = sqlite3.connect(var / "shetu.db")
    jid = db.execute("select j.id from job_orders j join agencies a on a.id=j.agency_id "
                     "where j.status='verified' and j.demand_letter_attested=1 and "
                     "j.recruitment_permission is not null and j.deadline >= date('now') and "
                     "a.licence_status='valid' and a.licence_valid_until >= date('now') "
                     "limit 1").fetchone()[0]
    out = shetu(var, "match", str(jid), "--limit", "3").stdout
    assert "  1. worker" in out and "score" in out
    r = shetu(var, "match", "99999", check=False)
    assert r.returncode == 1 and "not found" in r.stderr


def test_verify_finds_drift_and_repair_fixes_it(var):
    assert "workers: clean" in shetu(var, "index", "verify").stdout
    db = sqlite3.connect(var / "shetu.db")
    db.execute("update workers set version = version + 1, ntvqf_level = 4 where id = 3")
    db.commit()
    r = shetu(var, "index", "verify", check=False)
    assert r.returncode == 1 and "1 stale [3]" in r.stdout
    shetu(var, "index", "repair")
    assert shetu(var, "index", "verify").returncode == 0


def test_reindex_swaps_in_a_new_version_with_progress(var):
    before = (var / "index" / "workers" / "CURRENT").read_text()
    r = shetu(var, "reindex")
    assert "reindexed: 120 workers, 25 jobs" in r.stdout
    assert "reindex" in r.stderr and "100%" in r.stderr
    after = (var / "index" / "workers" / "CURRENT").read_text()
    assert after != before and not (var / "index" / "workers" / before).exists()
    assert shetu(var, "index", "verify").returncode == 0


def test_eval_knows_the_index_driven_candidates_task(tmp_path):
    """``shetu eval`` runs the taxonomy tasks and indexer's candidates benchmark (issue 11)."""
    r = shetu(tmp_path, "eval", "no-such-task", check=False)
    assert r.returncode == 2 and "unknown task 'no-such-task'" in r.stderr
    assert "esco-altlabels" in r.stderr and "candidates" in r.stderr
