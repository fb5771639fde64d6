"""What every ``shetu`` command shares: the settings, loaded once per run by the callback.

The main callback (``api.cli``) puts a :class:`CliState` into the Typer context; a command asks
it for the settings with :func:`settings`. They are read on first use, so ``--help`` works even
where the environment is not a valid configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer

from registry.config import Settings, UnsafeSettingsError, get_settings

if TYPE_CHECKING:
    from indexer.service import Indexer


def load_settings() -> Settings:
    """Return the environment's settings; exit 2 with a line naming the problem if invalid."""
    try:
        return get_settings()
    except UnsafeSettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except ValueError as exc:
        typer.echo(f"error: invalid settings: {exc}", err=True)
        raise typer.Exit(2) from exc


@dataclass
class CliState:
    """Per-run state of the CLI: the settings, read at most once."""

    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        """The run's settings (read from the environment on first use)."""
        if self._settings is None:
            self._settings = load_settings()
        return self._settings


def settings(ctx: typer.Context) -> Settings:
    """Return the settings of this run (the main callback's :class:`CliState`)."""
    state = ctx.find_root().obj
    if not isinstance(state, CliState):  # a command run without the main callback
        state = ctx.find_root().obj = CliState()
    return state.settings


def indexer(s: Settings) -> Indexer:
    """Return an indexer for ``s`` (imported here: the model stack loads only when needed)."""
    from indexer.service import Indexer

    return Indexer(s)
