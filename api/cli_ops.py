"""Operations commands of the ``shetu`` CLI: the Celery worker and beat (``scale`` extra)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer


def worker(concurrency: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
           pool: Annotated[str, typer.Option(help="prefork or solo")] = "prefork",
           loglevel: Annotated[str, typer.Option()] = "info") -> None:
    """Run a Celery worker that drains the outbox into the search indexes."""
    from api.cli import _settings
    from indexer.celery_app import configure

    s = _settings()
    app = configure(s)
    # One INFO line per HTTP request to Elasticsearch drowns the task log.
    logging.getLogger("elastic_transport.transport").setLevel(logging.WARNING)
    typer.echo(f"shetu worker: broker {s.broker_url.split('@')[-1]}, search {s.search_backend}",
               err=True)
    app.worker_main(["worker", f"--loglevel={loglevel}", f"--concurrency={concurrency}",
                     f"--pool={pool}", "--without-gossip", "--without-mingle",
                     "--hostname=shetu@%h"])


def beat(loglevel: Annotated[str, typer.Option()] = "info") -> None:
    """Run Celery beat: outbox safety net, job-order expiry, nightly reconcile."""
    from api.cli import _settings
    from indexer.celery_app import configure

    s = _settings()
    app = configure(s)
    s.var_dir.mkdir(parents=True, exist_ok=True)
    app.start(["beat", f"--loglevel={loglevel}",
               f"--schedule={s.var_dir / 'celerybeat-schedule'}"])


def register(app: typer.Typer) -> None:
    """Add ``worker`` and ``beat`` to the ``shetu`` command."""
    app.command()(worker)
    app.command()(beat)
