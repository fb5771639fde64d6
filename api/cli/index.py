"""``shetu index verify|repair``: compare the registry with the search index, and fix it."""

from __future__ import annotations

import typer

from api.cli.context import indexer, settings

index_app = typer.Typer(help="Compare and repair registry ↔ search index.", no_args_is_help=True)


@index_app.command("verify")
def index_verify(ctx: typer.Context) -> None:
    """Compare registry and index; exit 1 listing differences."""
    ix = indexer(settings(ctx))
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
def index_repair(ctx: typer.Context) -> None:
    """Fix every difference between registry and index."""
    ix = indexer(settings(ctx))
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
