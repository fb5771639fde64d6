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


def test_train_vacancy_skills_fits_a_file_and_names_a_bad_one(monkeypatch, tmp_path):
    import json as _json

    from support import DATA_DIR

    from matcher.vacancy_skills import VacancySkills
    from registry.config import get_settings

    for k, v in {"SHETU_ENV": "test", "SHETU_VAR_DIR": str(tmp_path), "SHETU_MODEL": "hashing",
                 "SHETU_DATA_DIR": str(DATA_DIR)}.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    good = tmp_path / "v.jsonl"
    good.write_text("\n".join(_json.dumps(r) for r in (
        {"title": "Night order picker", "skills": ["work in shifts", "lift heavy weights"]},
        {"title": "Van driver", "skills": ["no such skill"]})) + "\n", encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "ok", "skills": []}\n{"title": "x"}\n', encoding="utf-8")
    try:
        missing = CliRunner().invoke(app, ["train", "vacancy-skills", "--source",
                                           str(tmp_path / "none.jsonl")])
        broken = CliRunner().invoke(app, ["train", "vacancy-skills", "--source", str(bad)])
        ok = CliRunner().invoke(app, ["train", "vacancy-skills", "--source", str(good)])
        listed = CliRunner().invoke(app, ["models", "list"])
        activated = CliRunner().invoke(app, ["models", "activate", "vacancy-skills"])
    finally:
        get_settings.cache_clear()
    assert missing.exit_code == 2 and "--source: no such file" in missing.output
    assert broken.exit_code == 1 and "bad.jsonl:2" in broken.output
    assert ok.exit_code == 0, ok.output
    fitted = VacancySkills.load(tmp_path / "models" / "vacancy-skills")
    assert fitted.size == 1 and fitted.labels.nnz == 2  # the driver's unknown label dropped
    assert not (tmp_path / "models" / "vacancy-skills.partial").exists()
    assert "vacancy-skills" in listed.output and "titles: 1" in listed.output
    assert activated.exit_code == 1 and "nothing to activate" in activated.output


def test_train_vacancy_skills_by_default_leaves_out_what_job2skill_scores(monkeypatch,
                                                                         tmp_path):
    import gzip
    import json as _json

    import numpy as np
    from support import DATA_DIR

    from matcher.encoder import HashingEncoder
    from matcher.vacancy_skills import VacancySkills
    from registry.config import get_settings
    from training.eval_tasks import job2skill_splits

    data = tmp_path / "data"
    (data / "eval" / "techwolf-job2skill").mkdir(parents=True)
    (data / "taxonomy").symlink_to(DATA_DIR / "taxonomy")
    titles = [f"warehouse picker number {i}" for i in range(2600)]
    with gzip.open(data / "eval" / "techwolf-job2skill" / "job_skill_val.jsonl.gz", "wt",
                   encoding="utf-8") as fh:
        for i, t in enumerate(titles):
            skills = ["work in shifts"] if i != 7 else ["not an ESCO label"]  # 7 is not usable
            fh.write(_json.dumps({"title": t, "skills": skills}) + "\n")
    for k, v in {"SHETU_ENV": "test", "SHETU_VAR_DIR": str(tmp_path / "var"),
                 "SHETU_MODEL": "hashing", "SHETU_DATA_DIR": str(data)}.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    try:
        r = CliRunner().invoke(app, ["train", "vacancy-skills"])
        s = get_settings()
    finally:
        get_settings.cache_clear()
    assert r.exit_code == 0, r.output
    usable = [t for i, t in enumerate(titles) if i != 7]
    _, _, train = job2skill_splits(len(usable), 13)
    fitted = VacancySkills.load(tmp_path / "var" / "models" / "vacancy-skills")
    assert fitted.size == len(train) == 2599 - 2000 - 500 and "train split" in fitted.source
    from matcher.rankers import get_skill_ranker

    prep = get_skill_ranker(s).prepare
    want = HashingEncoder().encode([prep(usable[i]) for i in train])
    assert np.allclose(fitted.title_vecs, want / np.linalg.norm(want, axis=1, keepdims=True))
