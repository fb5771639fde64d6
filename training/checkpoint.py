"""Checkpoints of an encoder training run, so several short runs add up to one long one.

A run directory (``var/models/<name>-<timestamp>/``) holds the exact examples
(``train.jsonl.gz``, ``dev.jsonl.gz``) and, under ``checkpoints/``, the latest state::

    checkpoints/step-000120/model/      the encoder (sentence-transformers directory)
    checkpoints/step-000120/optim.pt    AdamW and LR-scheduler state, torch RNG state
    checkpoints/step-000120/state.json  step, data position (epoch, batch), examples seen, loss
    checkpoints/LATEST                  the name of the newest complete checkpoint

Writing is atomic: a checkpoint is written to ``step-N.partial`` and renamed, then ``LATEST`` is
replaced (write + ``os.replace``), then older checkpoints are removed; a run killed at any point
leaves ``LATEST`` naming a complete checkpoint (or no ``LATEST`` at all before the first).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

LATEST = "LATEST"


@dataclass
class TrainState:
    """Where a run stands: counts, data position, recent losses and the history of runs."""

    step: int = 0
    epoch: int = 0           # epoch being read (0-based)
    batch_in_epoch: int = 0  # batches of that epoch already trained on
    examples_seen: int = 0
    losses: list[float] = field(default_factory=list)  # every step's loss (whole history)
    runs: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainState:
        """Return the state saved by :meth:`to_json`."""
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-serialisable copy."""
        return asdict(self)


def checkpoints_dir(run_dir: Path) -> Path:
    """Return ``run_dir/checkpoints``."""
    return Path(run_dir) / "checkpoints"


def latest_checkpoint(run_dir: Path) -> Path | None:
    """Return the newest complete checkpoint of ``run_dir``, or None."""
    ptr = checkpoints_dir(run_dir) / LATEST
    if not ptr.exists():
        return None
    path = checkpoints_dir(run_dir) / ptr.read_text(encoding="utf-8").strip()
    return path if (path / "state.json").exists() else None


def latest_run(models_dir: Path, name: str) -> Path | None:
    """Return the newest run directory named ``name-*`` that has a checkpoint, or None."""
    runs = [p for p in Path(models_dir).glob(f"{name}-*") if latest_checkpoint(p)]
    return max(runs, key=lambda p: p.name) if runs else None


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def save_checkpoint(run_dir: Path, model: Any, optimizer: Any, scheduler: Any,
                    state: TrainState) -> Path:
    """Write a complete checkpoint of ``state`` atomically; keep only the newest; return it."""
    import torch

    root = checkpoints_dir(run_dir)
    root.mkdir(parents=True, exist_ok=True)
    name = f"step-{state.step:06d}"
    final = root / name
    tmp = root / (name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    model.save(str(tmp / "model"), create_model_card=False)
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "torch_rng": torch.get_rng_state()}, tmp / "optim.pt")
    (tmp / "state.json").write_text(json.dumps(state.to_json()), encoding="utf-8")
    if final.exists():  # the same step saved twice (e.g. a signal right after a periodic save)
        shutil.rmtree(final)
    os.replace(tmp, final)
    _write_atomic(root / LATEST, name)
    for old in root.iterdir():
        if old.is_dir() and old.name != name:
            shutil.rmtree(old, ignore_errors=True)
    return final


def load_state(ckpt: Path) -> TrainState:
    """Return the :class:`TrainState` of a checkpoint."""
    return TrainState.from_json(json.loads((ckpt / "state.json").read_text(encoding="utf-8")))


def restore(ckpt: Path, optimizer: Any, scheduler: Any) -> None:
    """Load the optimizer, scheduler and torch RNG state of ``ckpt`` (the model loads apart)."""
    import torch

    saved = torch.load(ckpt / "optim.pt", weights_only=False)
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    torch.set_rng_state(saved["torch_rng"])
