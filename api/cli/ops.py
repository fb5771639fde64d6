"""``shetu worker|beat|backup|restore``: Celery worker and beat (``scale`` extra), backups."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from api.cli.context import indexer, settings


def worker(ctx: typer.Context,
           concurrency: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
           pool: Annotated[str, typer.Option(help="prefork or solo")] = "prefork",
           loglevel: Annotated[str, typer.Option()] = "info") -> None:
    """Run a Celery worker that drains the outbox into the search indexes."""
    from indexer.celery_app import configure

    s = settings(ctx)
    app = configure(s)
    # One INFO line per HTTP request to Elasticsearch drowns the task log.
    logging.getLogger("elastic_transport.transport").setLevel(logging.WARNING)
    typer.echo(f"shetu worker: broker {s.broker_url.split('@')[-1]}, search {s.search_backend}",
               err=True)
    app.worker_main(["worker", f"--loglevel={loglevel}", f"--concurrency={concurrency}",
                     f"--pool={pool}", "--without-gossip", "--without-mingle",
                     "--hostname=shetu@%h"])


def beat(ctx: typer.Context, loglevel: Annotated[str, typer.Option()] = "info") -> None:
    """Run Celery beat: outbox safety net, job-order expiry, nightly reconcile."""
    from indexer.celery_app import configure

    s = settings(ctx)
    app = configure(s)
    s.var_dir.mkdir(parents=True, exist_ok=True)
    app.start(["beat", f"--loglevel={loglevel}",
               f"--schedule={s.var_dir / 'celerybeat-schedule'}"])


def backup(ctx: typer.Context,
           path: Annotated[Path, typer.Argument(help="archive to write (a .tar file)")]) -> None:
    """Write a consistent backup of the registry (SQLite or PostgreSQL) with a manifest."""
    from registry.backup import BackupError, create_backup

    s = settings(ctx)
    try:
        manifest = create_backup(s.database_url, path,
                                 progress=lambda m: typer.echo(m, err=True))
    except BackupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"backup of {manifest.database} at revision {manifest.revision}: "
               + ", ".join(f"{n} {t}" for t, n in manifest.counts.items()))


def restore(ctx: typer.Context,
            path: Annotated[Path, typer.Argument(help="archive written by `shetu backup`")],
            yes: Annotated[bool, typer.Option("--yes", help="replace a database that has "
                                              "records (nothing is asked)")] = False) -> None:
    """Replace the registry with a backup, migrate it to head, rebuild the search index."""
    from tqdm import tqdm

    from registry.backup import BackupError, restore_backup

    s = settings(ctx)
    try:
        manifest = restore_backup(s.database_url, path, overwrite=yes,
                                  progress=lambda m: typer.echo(m, err=True))
    except BackupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"restored {manifest.database} backup of {manifest.created_at}: "
               + ", ".join(f"{n} {t}" for t, n in manifest.counts.items()))
    # The index still describes the replaced records: rebuild it from the restored registry.
    ix = indexer(s)
    total = manifest.counts.get("workers", 0) + manifest.counts.get("job_orders", 0)
    with tqdm(total=total, desc="reindex", unit="doc", file=sys.stderr) as bar:
        counts = ix.reindex(progress=bar.update)
    drift = ix.verify()
    ix.backend.close()
    typer.echo("reindexed: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    dirty = {index: d for index, d in drift.items() if not d.clean}
    if dirty:
        for index, d in dirty.items():
            typer.echo(f"error: {index} index differs after reindex: {len(d.missing)} missing, "
                       f"{len(d.stale)} stale, {len(d.orphans)} orphans", err=True)
        raise typer.Exit(1)
    typer.echo("index verify: clean")


def register(app: typer.Typer) -> None:
    """Add ``worker``, ``beat``, ``backup`` and ``restore`` to the ``shetu`` command."""
    app.command()(worker)
    app.command()(beat)
    app.command()(backup)
    app.command()(restore)
