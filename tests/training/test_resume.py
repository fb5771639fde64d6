"""Training that adds up: resumed runs continue exactly where a run stopped (or was killed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from support import make_settings

from matcher.encoder import PACKAGED
from registry.config import REPO_ROOT
from training.checkpoint import latest_checkpoint, load_state
from training.finetune import finetune

TINY = {"batch_size": 8, "max_examples": 64, "warmup_steps": 2, "schedule_steps": 20,
        "eval_tasks": [], "dev_queries": 0, "threads": 1, "max_minutes": 5}


def _weights(run: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(run / "model" / "model.safetensors"))


def _optim(run: Path) -> dict:
    ckpt = latest_checkpoint(run)
    assert ckpt is not None
    return torch.load(ckpt / "optim.pt", weights_only=False)


def _assert_same(a: Path, b: Path) -> None:
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    # CPU float32, one thread, same ops in the same order: bitwise equal.
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    oa, ob = _optim(a), _optim(b)
    assert oa["scheduler"]["last_epoch"] == ob["scheduler"]["last_epoch"] == 4
    sa, sb = oa["optimizer"]["state"], ob["optimizer"]["state"]
    assert sa.keys() == sb.keys()
    for k in sa:
        for part in ("exp_avg", "exp_avg_sq", "step"):
            assert torch.equal(sa[k][part], sb[k][part]), (k, part)
    assert torch.equal(oa["torch_rng"], ob["torch_rng"])


@pytest.mark.slow
def test_two_runs_of_two_steps_equal_one_run_of_four(tmp_path) -> None:
    settings = make_settings(tmp_path, model=PACKAGED)
    quiet = {"log": lambda _m: None}
    once = finetune(settings, name="once", max_steps=4, **TINY, **quiet)
    first = finetune(settings, name="split", max_steps=2, **TINY, **quiet)
    assert load_state(latest_checkpoint(first)).step == 2
    again = finetune(settings, name="split", resume=True, max_steps=2, **TINY, **quiet)
    assert again == first
    _assert_same(once, again)
    m = json.loads((again / "metrics.json").read_text())
    assert [(r["step_start"], r["step_end"], r["examples_seen"]) for r in m["runs"]] == \
        [(0, 2, 16), (2, 4, 32)]
    manifest = json.loads((again / "manifest.json").read_text())
    assert manifest["steps"] == 4 and manifest["examples_seen"] == 32
    # The second run continued the same shuffled stream: its anchors are the 3rd and 4th
    # batches of the single run's stream, not the first two again.
    state_once = load_state(latest_checkpoint(once))
    state_split = load_state(latest_checkpoint(again))
    assert state_once.losses == state_split.losses
    assert (state_once.epoch, state_once.batch_in_epoch) == \
        (state_split.epoch, state_split.batch_in_epoch)


@pytest.mark.slow
def test_a_killed_run_resumes_from_its_last_checkpoint(tmp_path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "SHETU_VAR_DIR": str(tmp_path),
           "SHETU_MODEL": PACKAGED}
    models = tmp_path / "models"
    cmd = [sys.executable, "-m", "training.finetune", "--name", "killed", "--max-steps",
           "1000", "--batch-size", "8", "--max-examples", "64", "--checkpoint-every", "2",
           "--eval-tasks", "", "--dev-queries", "0", "--threads", "1",
           "--models-dir", str(models)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 240
        run = None
        while time.monotonic() < deadline and proc.poll() is None:
            runs = list(models.glob("killed-*"))
            if runs and latest_checkpoint(runs[0]) is not None:
                run = runs[0]
                break
            time.sleep(0.5)
        assert run is not None, proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped by SIGTERM" in err
    stopped = load_state(latest_checkpoint(run))
    assert 2 <= stopped.step < 1000
    assert stopped.runs[-1]["stopped_by"] == "SIGTERM"
    settings = make_settings(tmp_path, model=PACKAGED)
    out = finetune(settings, name="killed", resume=True, max_steps=3, models_dir=models,
                   eval_tasks=[], dev_queries=0, threads=1, log=lambda _m: None)
    assert out == run
    resumed = load_state(latest_checkpoint(run))
    assert resumed.step == stopped.step + 3
    assert resumed.examples_seen == stopped.examples_seen + 24
    assert resumed.losses[:stopped.step] == stopped.losses
