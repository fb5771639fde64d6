"""The beat schedule: outbox safety net, job-order expiry, nightly reconcile (one place)."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

# Commits trigger a drain at once; this only catches drains lost to a down broker or worker.
DRAIN_EVERY_S = 5.0


def beat_schedule() -> dict[str, Any]:
    """Return the periodic tasks beat sends (times in the app's timezone, Asia/Dhaka)."""
    return {
        "drain-outbox": {
            "task": "shetu.drain_outbox", "schedule": DRAIN_EVERY_S,
            # A safety-net drain that could not start within its period is superseded by the next.
            "options": {"expires": DRAIN_EVERY_S},
        },
        "expire-job-orders": {
            # Hourly, so a deadline that passed at midnight is closed within the hour.
            "task": "shetu.expire_job_orders", "schedule": crontab(minute=5),
            "options": {"expires": 55 * 60},
        },
        "retention": {
            "task": "shetu.retention", "schedule": crontab(hour=4, minute=10),
            "options": {"expires": 6 * 3600},
        },
        "reconcile": {
            "task": "shetu.reconcile", "schedule": crontab(hour=3, minute=30),
            "options": {"expires": 6 * 3600},
        },
    }
