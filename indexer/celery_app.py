"""The Celery app (Redis broker) that keeps the search indexes fresh.

Settings are read on first use, never at import: ``configure(settings)`` (what ``shetu worker``
and ``shetu beat`` do) or, failing that, the environment's settings when Celery first loads its
configuration (e.g. the API enqueueing a drain after a commit).
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from registry.config import Settings, get_settings

app = Celery("shetu", include=["indexer.tasks"])
_settings: Settings | None = None


def celery_config(settings: Settings) -> dict[str, Any]:
    """Return the Celery configuration for ``settings``."""
    from indexer.schedule import beat_schedule

    return {
        "broker_url": settings.broker_url,
        "task_ignore_result": True,  # tasks report through logs; no result backend needed
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": "shetu",
        "broker_connection_retry_on_startup": True,
        # An enqueue after a commit must not hold the HTTP response when Redis is down.
        "broker_connection_timeout": 2.0,
        "broker_transport_options": {
            # Unacknowledged (acks_late) tasks of a killed worker come back after this long;
            # beat's safety-net drain usually gets there first.
            "visibility_timeout": 600,
            "socket_connect_timeout": 2.0,
            "socket_timeout": 10.0,
        },
        "beat_schedule": beat_schedule(),
        "timezone": "Asia/Dhaka",
        "worker_hijack_root_logger": False,
    }


def configure(settings: Settings) -> Celery:
    """Configure the app from ``settings`` (call before starting a worker or beat)."""
    global _settings
    _settings = settings
    app.conf.update(celery_config(settings))
    return app


def current_settings() -> Settings:
    """Return the settings the app was configured with (else the environment's)."""
    return _settings if _settings is not None else get_settings()


# Evaluated when Celery first loads its configuration, not at import.
app.add_defaults(lambda: {} if _settings is not None else celery_config(get_settings()))
