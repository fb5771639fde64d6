"""``shetu import workers|job-orders FILE.csv`` and ``shetu expire``: bulk intake (the admin
upload page runs the same ``registry.intake``) and the job-order expiry beat and the in-process
scheduler also run."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer
from tqdm import tqdm

from api.cli.context import settings

MAX_SHOWN = 50


def import_cmd(ctx: typer.Context,
               kind: Annotated[str, typer.Argument(help="workers or job-orders")],
               file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                                    help="a CSV file with a header row")],
               index: Annotated[bool, typer.Option(help="index the new records now")] = True
               ) -> None:
    """Import a CSV: good rows land, bad rows are listed (line, field, reason), rerunning the
    same file changes nothing. Exit code 1 when any row was bad."""
    from registry.db import session_scope
    from registry.intake import import_csv
    from registry.migrate import upgrade

    if kind not in ("workers", "job-orders"):
        typer.echo(f"error: kind: {kind!r} is not workers or job-orders", err=True)
        raise typer.Exit(2)
    s = settings(ctx)
    upgrade(s.database_url)
    # The model loads while the rows are validated and written (see start_indexer).
    from api.cli.records import _drain_with_progress, start_indexer

    ready = start_indexer(s) if index else None
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        typer.echo(f"error: {file}: not UTF-8 text ({exc.reason} at byte {exc.start})", err=True)
        raise typer.Exit(2) from None
    rows = max(text.count("\n") - 1, 0)
    k: Literal["workers", "job-orders"] = "workers" if kind == "workers" else "job-orders"
    with tqdm(total=rows, desc=f"importing {kind}", unit="row", file=sys.stderr) as bar, \
            session_scope(s.database_url) as session:
        try:
            result = import_csv(session, k, text, username="cli", role="admin",
                                progress=bar.update)
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        bar.update(max(0, rows - bar.n))
    for err in result.errors[:MAX_SHOWN]:
        typer.echo(str(err), err=True)
    if result.bad > MAX_SHOWN:
        typer.echo(f"... and {result.bad - MAX_SHOWN} more bad rows", err=True)
    typer.echo(f"{result.rows} rows: {result.created} created, {result.unchanged} unchanged "
               f"(already imported), {result.bad} bad")
    if ready is not None and result.created:
        _drain_with_progress(s, ready())
    if result.bad:
        raise typer.Exit(1)


def expire_cmd(ctx: typer.Context,
               today: Annotated[str | None, typer.Option(help="the day to expire for "
                                                         "(YYYY-MM-DD; default today)")] = None
               ) -> None:
    """Expire verified job orders whose deadline has passed (what the scheduler runs daily)."""
    from registry.db import session_scope
    from registry.demand import expire_due

    try:
        day = dt.date.fromisoformat(today) if today else dt.date.today()
    except ValueError:
        typer.echo(f"error: --today: {today!r} is not a date (YYYY-MM-DD)", err=True)
        raise typer.Exit(2) from None
    s = settings(ctx)
    with session_scope(s.database_url) as session:
        ids = expire_due(session, day)
    typer.echo(f"expired {len(ids)} job orders" + (f": {ids[:20]}" if ids else ""))
    if ids:
        from api.cli.records import _drain_with_progress

        _drain_with_progress(s)


def register(app: typer.Typer) -> None:
    """Add the commands to the ``shetu`` app."""
    app.command("import")(import_cmd)
    app.command("expire")(expire_cmd)
