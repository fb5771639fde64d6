"""The ``shetu`` command line, one module per command group.

``records`` (migrate, seed, reindex, match, serve), ``index`` (verify, repair), ``ops`` (Celery
worker and beat, backup, restore), ``taxonomy`` (occupations/skills rank, eval) and ``training``
(train, models). The callback below puts the run's :class:`~api.cli.context.CliState` into the
context; every command reads the settings from it (``api.cli.context.settings``), once a run.
Command modules import only ``api.cli.context``, never this package: no import cycle.
"""

from __future__ import annotations

import typer

from api.cli import intake, ops, records
from api.cli.audit import audit_app
from api.cli.context import CliState
from api.cli.index import index_app
from api.cli.taxonomy import eval_cmd, occupations_app, skills_app
from api.cli.training import models_app, train_app

app = typer.Typer(help="Shetu: skills matching for safe labour migration.", no_args_is_help=True,
                  add_completion=False)


@app.callback()
def _main(ctx: typer.Context) -> None:
    """Shetu: skills matching for safe labour migration."""
    ctx.obj = CliState()


records.register(app)
app.add_typer(index_app, name="index")
app.add_typer(occupations_app, name="occupations")
app.add_typer(skills_app, name="skills")
app.command("eval")(eval_cmd)
app.add_typer(train_app, name="train")
app.add_typer(models_app, name="models")
ops.register(app)
app.add_typer(audit_app, name="audit")
intake.register(app)


def main() -> None:
    """Entry point of the ``shetu`` script."""
    app()
