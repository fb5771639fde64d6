"""``shetu migrate|seed|reindex|match|serve``: the registry, its index and the server."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from tqdm import tqdm

from api.cli.context import indexer, settings
from registry.config import Settings

if TYPE_CHECKING:
    from indexer.service import Indexer

# Outbox events indexed per batch after an import: one encode call, one index commit and one
# journal fsync per batch (bench/import.py: at 64 and 512 a batch, commits cost more than at 2000).
DRAIN_BATCH = 2000
BULK_SNAPSHOT_S = 60.0


def migrate(ctx: typer.Context) -> None:
    """Create or upgrade the database schema (Alembic)."""
    from registry.migrate import upgrade

    s = settings(ctx)
    upgrade(s.database_url)
    typer.echo(f"database at head: {s.database_url.split('@')[-1]}")


def seed(ctx: typer.Context,
         seed: Annotated[int, typer.Option(help="random seed (same seed, same data)")] = 7,
         workers: Annotated[int, typer.Option(min=1)] = 2000,
         job_orders: Annotated[int, typer.Option(min=1)] = 320,
         agencies: Annotated[int, typer.Option(min=1)] = 45,
         if_empty: Annotated[bool, typer.Option(help="only seed an empty database")] = False,
         index: Annotated[bool, typer.Option(help="index the new records now")] = True) -> None:
    """Load realistic demo data built from ESCO and the Bangladesh figures."""
    from matcher.taxonomy import load_taxonomy
    from registry.db import session_scope
    from registry.migrate import upgrade
    from registry.reference import seed_helplines, seed_rates
    from registry.seed import create_demo_users, insert_dataset, is_empty
    from training.synthetic import generate

    s = settings(ctx)
    upgrade(s.database_url)
    with session_scope(s.database_url) as session:
        if not is_empty(session):
            if if_empty:
                typer.echo("database already has data: not seeding")
                return
            typer.echo("error: the database already has records; seed an empty database "
                       "(or use --if-empty)", err=True)
            raise typer.Exit(1)
        tax = load_taxonomy(s.esco_dir, s.cache_dir)
        data = generate(tax, s.data_dir, seed=seed, workers=workers, job_orders=job_orders,
                        agencies=agencies, employers=max(10, agencies * 2))
        counts = insert_dataset(session, data)
        users = create_demo_users(session) if s.demo_accounts else {}
        counts["helplines"] = seed_helplines(session)
        counts["exchange rates"] = seed_rates(session)
    typer.echo("seeded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    for name, what in users.items():
        typer.echo(f"demo account {name!r} ({what})")
    if index:
        _drain_with_progress(s)


def bulk_drain(ix: Any) -> None:
    """Set an indexer up for draining a bulk import: the embedded index snapshots at most once
    a minute (every batch is still in its fsync'ed journal before the drain goes on, and
    closing the index takes the last snapshot), instead of every few seconds."""
    if hasattr(ix.backend, "flush_interval_s"):
        ix.backend.flush_interval_s = max(ix.backend.flush_interval_s, BULK_SNAPSHOT_S)


def start_indexer(s: Settings) -> Callable[[], Indexer]:
    """Build the indexer (its encoder and taxonomy loaded) in a background thread; return a
    call that waits for it. ``shetu import`` loads the model while it validates and writes
    rows, instead of after (loading torch and the model took as long as writing 100,000 rows)."""
    box: dict[str, Any] = {}

    def load() -> None:
        try:
            ix = indexer(s)
            ix.encoder.encode(["warm up"])
            _ = ix.taxonomy
            box["ix"] = ix
        except BaseException as exc:  # noqa: BLE001 — raised again in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=load, name="load-indexer", daemon=True)
    thread.start()

    def ready() -> Indexer:
        thread.join()
        if "error" in box:
            raise box["error"]
        return cast("Indexer", box["ix"])

    return ready


def _drain_with_progress(s: Settings, ix: Indexer | None = None) -> None:
    from sqlalchemy import func, select

    from registry.models import OutboxEvent

    ix = ix or indexer(s)
    bulk_drain(ix)
    with ix.sessions() as session:
        pending = session.scalar(select(func.count(OutboxEvent.id))
                                 .where(OutboxEvent.processed_at.is_(None)))
    with tqdm(total=pending, desc="indexing", unit="doc", file=sys.stderr) as bar:
        while done := ix.drain_outbox(limit=DRAIN_BATCH, max_batches=1):
            bar.update(done)
    ix.backend.close()


def reindex(ctx: typer.Context) -> None:
    """Rebuild every index beside the live one and swap it in when complete."""
    from sqlalchemy import func, select

    from registry.db import session_scope
    from registry.models import JobOrder, Worker

    s = settings(ctx)
    ix = indexer(s)
    with session_scope(s.database_url) as session:
        total = (session.scalar(select(func.count(Worker.id))) or 0) + (
            session.scalar(select(func.count(JobOrder.id))) or 0)
    with tqdm(total=total, desc="reindex", unit="doc", file=sys.stderr) as bar:
        counts = ix.reindex(progress=bar.update)
    ix.backend.close()
    typer.echo("reindexed: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


def match(ctx: typer.Context, job_order_id: int,
          limit: Annotated[int, typer.Option(min=1, max=500)] = 10,
          as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Print the best eligible workers for a job order."""
    import datetime as dt

    from indexer.ranking import rank_workers_for_job
    from registry.compliance import why_not_matchable
    from registry.db import session_scope
    from registry.models import JobOrder

    s = settings(ctx)
    ix = indexer(s)
    with session_scope(s.database_url) as session:
        job = session.get(JobOrder, job_order_id)
        if job is None:
            typer.echo(f"error: job order {job_order_id} not found", err=True)
            raise typer.Exit(1)
        reasons = why_not_matchable(job, dt.date.today())
        if reasons:
            typer.echo(f"error: job order {job_order_id} is not matchable: "
                       + "; ".join(reasons), err=True)
            raise typer.Exit(1)
        result = rank_workers_for_job(ix, job, limit=limit)
        title, destination = job.title, job.destination
    tax = ix.taxonomy
    if as_json:
        typer.echo(json.dumps({"items": [m.__dict__ for m in result.items],
                               "excluded": result.excluded}, default=str))
        return
    typer.echo(f"{title} → {destination} ({result.eligible_total} eligible; excluded: "
               f"{result.excluded})")
    for rank, m in enumerate(result.items, 1):
        parts = " ".join(f"{k}={v:.2f}" for k, v in m.parts.items())
        typer.echo(f"{rank:>3}. worker {m.id:<6} score {m.score:.3f}  [{parts}]")
        if m.missing_skills:
            typer.echo("       missing: " + ", ".join(tax.skill_label(x)
                                                      for x in m.missing_skills[:5]))


def serve(ctx: typer.Context, host: Annotated[str | None, typer.Option()] = None,
          port: Annotated[int | None, typer.Option()] = None) -> None:
    """Serve the web pages and the API."""
    import uvicorn

    from api.app import create_app
    from registry.migrate import upgrade

    s = settings(ctx)
    upgrade(s.database_url)
    host, port = host or s.host, port or s.port
    typer.echo(f"Shetu on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    if s.demo_accounts:
        typer.echo("demo accounts: officer, worker, auditor, admin — password 'shetu-demo'")
    uvicorn.run(create_app(s), host=host, port=port, log_level="info")


def register(app: typer.Typer) -> None:
    """Add ``migrate``, ``seed``, ``reindex``, ``match`` and ``serve`` to ``app``."""
    for command in (migrate, seed, reindex, match, serve):
        app.command()(command)
