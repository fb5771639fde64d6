"""The Celery app: configured from settings on first use, idempotent tasks, a complete schedule."""

from __future__ import annotations

import subprocess
import sys

from support import make_settings

from indexer.celery_app import app, configure
from indexer.protocol import SearchUnavailableError
from indexer.schedule import beat_schedule
from registry.config import REPO_ROOT


def test_importing_the_tasks_reads_no_settings():
    # Production settings without a secret are refused — but only when read, never at import.
    code = "import indexer.tasks, indexer.celery_app; print('ok')"
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                       text=True, env={"SHETU_ENV": "production", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_tasks_ack_late_and_retry_only_transient_errors(tmp_path):
    configure(make_settings(tmp_path, broker_url="redis://127.0.0.1:6399/5"))
    assert app.conf.broker_url == "redis://127.0.0.1:6399/5"
    import indexer.tasks  # noqa: F401 — registers the tasks

    for name in ("shetu.drain_outbox", "shetu.expire_job_orders", "shetu.reconcile"):
        task = app.tasks[name]
        assert task.acks_late and task.reject_on_worker_lost
        assert SearchUnavailableError in task.autoretry_for
        assert Exception not in task.autoretry_for and task.max_retries
        assert task.retry_backoff


def test_beat_runs_the_safety_net_expiry_and_reconcile_each_with_expires():
    sched = beat_schedule()
    assert {e["task"] for e in sched.values()} == {"shetu.drain_outbox", "shetu.expire_job_orders",
                                                   "shetu.reconcile", "shetu.retention"}
    assert sched["drain-outbox"]["schedule"] <= 10
    assert all(e["options"]["expires"] > 0 for e in sched.values())
