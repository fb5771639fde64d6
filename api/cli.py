"""The ``shetu`` command line: serve, seed, reindex, match, index verify/repair."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Annotated

import typer
from tqdm import tqdm

from api.cli_ops import register as register_ops
from api.cli_quality import eval_cmd, occupations_app, skills_app
from api.cli_training import models_app, train_app
from registry.config import Settings, UnsafeSettingsError, get_settings

app = typer.Typer(help="Shetu: skills matching for safe labour migration.", no_args_is_help=True,
                  add_completion=False)
index_app = typer.Typer(help="Compare and repair registry ↔ search index.", no_args_is_help=True)
app.add_typer(index_app, name="index")


def _settings() -> Settings:
    try:
        return get_settings()
    except UnsafeSettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except ValueError as exc:
        typer.echo(f"error: invalid settings: {exc}", err=True)
        raise typer.Exit(2) from exc


def _indexer(settings: Settings):  # type: ignore[no-untyped-def]
    from indexer.service import Indexer

    return Indexer(settings)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (Alembic)."""
    from registry.migrate import upgrade

    s = _settings()
    upgrade(s.database_url)
    typer.echo(f"database at head: {s.database_url.split('@')[-1]}")


@app.command()
def seed(seed: Annotated[int, typer.Option(help="random seed (same seed, same data)")] = 7,
         workers: Annotated[int, typer.Option(min=1)] = 2000,
         job_orders: Annotated[int, typer.Option(min=1)] = 320,
         agencies: Annotated[int, typer.Option(min=1)] = 45,
         if_empty: Annotated[bool, typer.Option(help="only seed an empty database")] = False,
         index: Annotated[bool, typer.Option(help="index the new records now")] = True) -> None:
    """Load realistic demo data built from ESCO and the Bangladesh figures."""
    from matcher.taxonomy import load_taxonomy
    from registry.db import session_scope
    from registry.migrate import upgrade
    from registry.seed import create_demo_users, insert_dataset, is_empty
    from training.synthetic import generate

    s = _settings()
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
    typer.echo("seeded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    for name, what in users.items():
        typer.echo(f"demo account {name!r} ({what})")
    if index:
        _drain_with_progress(s)


def _drain_with_progress(s: Settings) -> None:
    from indexer.service import Indexer

    ix = Indexer(s)
    from sqlalchemy import func, select

    from registry.models import OutboxEvent

    with ix.sessions() as session:
        pending = session.scalar(select(func.count(OutboxEvent.id))
                                 .where(OutboxEvent.processed_at.is_(None)))
    with tqdm(total=pending, desc="indexing", unit="doc", file=sys.stderr) as bar:
        while done := ix.drain_outbox(limit=64, max_batches=1):
            bar.update(done)
    ix.backend.close()


@app.command()
def reindex() -> None:
    """Rebuild every index beside the live one and swap it in when complete."""
    from sqlalchemy import func, select

    from registry.db import session_scope
    from registry.models import JobOrder, Worker

    s = _settings()
    ix = _indexer(s)
    with session_scope(s.database_url) as session:
        total = (session.scalar(select(func.count(Worker.id))) or 0) + (
            session.scalar(select(func.count(JobOrder.id))) or 0)
    with tqdm(total=total, desc="reindex", unit="doc", file=sys.stderr) as bar:
        counts = ix.reindex(progress=bar.update)
    ix.backend.close()
    typer.echo("reindexed: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


@app.command()
def match(job_order_id: int, limit: Annotated[int, typer.Option(min=1, max=500)] = 10,
          as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Print the best eligible workers for a job order."""
    from indexer.ranking import rank_workers_for_job
    from registry.compliance import job_is_matchable
    from registry.db import session_scope
    from registry.models import JobOrder

    s = _settings()
    ix = _indexer(s)
    with session_scope(s.database_url) as session:
        job = session.get(JobOrder, job_order_id)
        if job is None:
            typer.echo(f"error: job order {job_order_id} not found", err=True)
            raise typer.Exit(1)
        if not job_is_matchable(job, dt.date.today()):
            typer.echo(f"error: job order {job_order_id} is not matchable (unverified, expired "
                       "or its agency is not licensed)", err=True)
            raise typer.Exit(1)
        result = rank_workers_for_job(ix, job, limit=limit)
    tax = ix.taxonomy
    if as_json:
        typer.echo(json.dumps({"items": [m.__dict__ for m in result.items],
                               "excluded": result.excluded}, default=str))
        return
    typer.echo(f"{job.title} → {job.destination} ({result.eligible_total} eligible; excluded: "
               f"{result.excluded})")
    for rank, m in enumerate(result.items, 1):
        parts = " ".join(f"{k}={v:.2f}" for k, v in m.parts.items())
        typer.echo(f"{rank:>3}. worker {m.id:<6} score {m.score:.3f}  [{parts}]")
        if m.missing_skills:
            typer.echo("       missing: " + ", ".join(tax.skill_label(x)
                                                      for x in m.missing_skills[:5]))


@app.command()
def serve(host: Annotated[str | None, typer.Option()] = None,
          port: Annotated[int | None, typer.Option()] = None) -> None:
    """Serve the web pages and the API."""
    import uvicorn

    from api.app import create_app
    from registry.migrate import upgrade

    s = _settings()
    upgrade(s.database_url)
    host, port = host or s.host, port or s.port
    typer.echo(f"Shetu on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    if s.demo_accounts:
        typer.echo("demo accounts: officer, worker, auditor, admin — password 'shetu-demo'")
    uvicorn.run(create_app(s), host=host, port=port, log_level="info")


@index_app.command("verify")
def index_verify() -> None:
    """Compare registry and index; exit 1 listing differences."""
    s = _settings()
    ix = _indexer(s)
    drift = ix.verify()
    bad = False
    for index, d in drift.items():
        if d.clean:
            typer.echo(f"{index}: clean")
            continue
        bad = True
        typer.echo(f"{index}: {len(d.missing)} missing {d.missing[:20]}, {len(d.stale)} stale "
                   f"{d.stale[:20]}, {len(d.orphans)} orphans {d.orphans[:20]}")
    raise typer.Exit(1 if bad else 0)


@index_app.command("repair")
def index_repair() -> None:
    """Fix every difference between registry and index."""
    s = _settings()
    ix = _indexer(s)
    drift = ix.repair()
    failed = 0
    for index, d in drift.items():
        failed += len(d.failed)
        line = (f"{index}: repaired {len(d.missing)} missing, {len(d.stale)} stale, "
                f"{len(d.orphans)} orphans")
        if d.failed:
            line += f"; {len(d.failed)} could not be indexed {d.failed[:20]} (see the log)"
        typer.echo(line)
    ix.backend.close()
    # Exit 1 when a record could not be indexed, so a script notices; everything else was fixed.
    raise typer.Exit(1 if failed else 0)


# Command groups defined beside this module: taxonomy/eval, training/models, Celery.
app.add_typer(occupations_app, name="occupations")
app.add_typer(skills_app, name="skills")
app.command("eval")(eval_cmd)
app.add_typer(train_app, name="train")
app.add_typer(models_app, name="models")
register_ops(app)


def main() -> None:
    """Entry point of the ``shetu`` script."""
    app()


if __name__ == "__main__":
    main()
