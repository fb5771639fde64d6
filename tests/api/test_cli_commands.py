"""The ``shetu`` command tree (api/cli/): every command answers --help, settings load once."""

from __future__ import annotations

from typing import Any

import typer
from typer.testing import CliRunner

from api.cli import app
from api.cli.context import CliState


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, cmd in sorted(group.commands.items()):
        out.append((*prefix, name))
        if hasattr(cmd, "commands"):  # a group (typer brings its own click)
            out.extend(_commands(cmd, (*prefix, name)))
    return out


def test_every_command_answers_help_even_with_unsafe_settings(monkeypatch):
    # Unsafe production settings make every real command exit 2; --help must still work.
    monkeypatch.setenv("SHETU_ENV", "production")
    runner = CliRunner()
    root = typer.main.get_command(app)
    commands = _commands(root)
    assert {("serve",), ("index", "verify"), ("models", "activate"), ("restore",)} <= set(commands)
    for cmd in [(), *commands]:
        r = runner.invoke(app, [*cmd, "--help"])
        assert r.exit_code == 0, (cmd, r.output)
        assert "Usage" in r.output


def test_bad_settings_exit_2_naming_the_problem(monkeypatch):
    from registry.config import get_settings

    get_settings.cache_clear()
    monkeypatch.setenv("SHETU_ENV", "production")
    try:
        r = CliRunner().invoke(app, ["index", "verify"])
    finally:
        get_settings.cache_clear()
    assert r.exit_code == 2
    assert "SHETU_SECRET_KEY" in r.output


def test_settings_are_read_once_per_run(monkeypatch):
    calls = []

    def counting() -> object:
        calls.append(1)
        return object()

    monkeypatch.setattr("api.cli.context.load_settings", counting)
    state = CliState()
    assert state.settings is state.settings
    assert len(calls) == 1
