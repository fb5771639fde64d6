"""The encoder training loop: resumable, checkpointed, stoppable by time, steps or a signal.

The data stream is a pure function of the examples and the seed: epoch ``e`` reads
``batches(train, batch_size, Random(seed * 1_000_003 + e))``, so a resumed run regenerates the
epoch and skips the batches it already trained on. The learning rate is a function of the step
only (linear warm-up, then linear decay to 5 % over ``schedule_steps``, then held there), never of
a run's time budget, so runs of any length add up to the same schedule. Dropout follows the torch
RNG, which each checkpoint saves: 2 steps + resume + 2 steps = 4 steps in one go.

Losses: ``mnrl`` (MultipleNegativesRankingLoss: in-batch + the hard negative) and ``cached``
(CachedMultipleNegativesRankingLoss, GradCache: the same objective over the whole batch computed
in mini-batches of ``mini_batch_size``, so a batch of 256 fits in the memory of 32).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np

from training.checkpoint import TrainState, restore, save_checkpoint
from training.examples import Example, batches

Log = Callable[[str], None]
LOSSES = ("mnrl", "cached")
LR_FLOOR = 0.05


def lr_factor(step: int, warmup_steps: int, schedule_steps: int) -> float:
    """Return the learning-rate multiplier at ``step`` (warm-up, linear decay, then a floor)."""
    warm = min(1.0, (step + 1) / max(warmup_steps, 1))
    return warm * max(LR_FLOOR, 1.0 - step / max(schedule_steps, 1))


def make_loss(model: Any, kind: str, mini_batch_size: int) -> Any:
    """Return the training loss ``kind`` (see the module docstring)."""
    from sentence_transformers.sentence_transformer import losses

    if kind == "mnrl":
        return losses.MultipleNegativesRankingLoss(model)
    if kind == "cached":
        return losses.CachedMultipleNegativesRankingLoss(model, mini_batch_size=mini_batch_size)
    raise ValueError(f"unknown loss {kind!r}; known: {', '.join(LOSSES)}")


class StopSignal:
    """SIGINT/SIGTERM set a flag (the loop checkpoints and stops); a second one is not caught."""

    def __init__(self) -> None:
        self.received: str | None = None
        self._old: dict[int, Any] = {}

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.received = signal.Signals(signum).name
        for s, h in self._old.items():
            signal.signal(s, h)

    def __enter__(self) -> StopSignal:
        try:
            for s in (signal.SIGINT, signal.SIGTERM):
                self._old[s] = signal.signal(s, self._handle)
        except ValueError:  # not the main thread: signals cannot be caught here
            self._old.clear()
        return self

    def __exit__(self, *_exc: object) -> None:
        for s, h in self._old.items():
            signal.signal(s, h)


def stream(train: Sequence[Example], batch_size: int, seed: int, state: TrainState
           ) -> Iterator[list[Example]]:
    """Yield batches from ``state``'s data position on, advancing the epoch as each ends."""
    while True:
        got, skip = 0, state.batch_in_epoch
        rng = random.Random(seed * 1_000_003 + state.epoch)
        for i, batch in enumerate(batches(train, batch_size, rng)):
            got += 1
            if i >= skip:
                yield batch
        if not got:
            raise ValueError("the training data yields no batch (fewer than 2 examples?)")
        state.epoch += 1
        state.batch_in_epoch = 0


def train_loop(model: Any, train: Sequence[Example], *, run_dir: Path, state: TrainState,
               resume_from: Path | None, batch_size: int, lr: float, warmup_steps: int,
               schedule_steps: int, max_seconds: float, max_steps: int | None, seed: int,
               loss: str = "mnrl", mini_batch_size: int = 32, checkpoint_every: int = 100,
               log: Log = print, log_every: int = 50) -> dict[str, Any]:
    """Train ``model`` in place from ``state``; checkpoint; return this run's record.

    ``max_steps`` and ``max_seconds`` bound *this* run; ``state`` carries the totals.
    """
    import torch
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    if resume_from is None:
        torch.manual_seed(seed)
    loss_fn = make_loss(model, loss, mini_batch_size)
    probe_fn = MultipleNegativesRankingLoss(model)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: lr_factor(s, warmup_steps, schedule_steps))
    if resume_from is not None:
        restore(resume_from, opt, sched)
    probe = list(train[:2 * min(batch_size, 32)])

    def probe_loss() -> float:
        # The loss on fixed training batches, in eval mode: comparable between runs.
        was = model.training
        model.eval()
        with torch.no_grad():
            vals = [float(probe_fn([model.tokenize([getattr(e, f) for e in b])
                                    for f in ("anchor", "positive", "negative")], None))
                    for b in (probe[i:i + 32] for i in range(0, len(probe), 32)) if len(b) > 1]
        model.train(was)
        return round(float(np.mean(vals)), 4) if vals else float("nan")

    record: dict[str, Any] = {
        "run": len(state.runs) + 1, "started": dt.datetime.now().isoformat(timespec="seconds"),
        "step_start": state.step, "examples_seen_start": state.examples_seen,
        "threads": torch.get_num_threads(), "load_avg_start": list(os.getloadavg()),
        "loss": loss, "mini_batch_size": mini_batch_size if loss == "cached" else None,
        "probe_loss_before": probe_loss()}
    model.train()
    t0 = time.monotonic()
    first = state.step
    with StopSignal() as stop:
        for batch in stream(train, batch_size, seed, state):
            ran = state.step - first
            if (max_steps is not None and ran >= max_steps) or \
                    time.monotonic() - t0 >= max_seconds or stop.received:
                break
            feats = [model.tokenize([getattr(e, f) for e in batch])
                     for f in ("anchor", "positive", "negative")]
            value = loss_fn(feats, None)
            opt.zero_grad()
            value.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            state.losses.append(round(float(value.detach()), 5))
            state.step += 1
            state.batch_in_epoch += 1
            state.examples_seen += len(batch)
            if checkpoint_every and state.step % checkpoint_every == 0:
                save_checkpoint(run_dir, model, opt, sched, state)
            if state.step % log_every == 0:
                log(f"  step {state.step}: loss {np.mean(state.losses[-log_every:]):.4f} "
                    f"({time.monotonic() - t0:.0f}s, epoch {state.epoch + 1}, "
                    f"{state.examples_seen} examples seen)")
        received = stop.received
    secs = time.monotonic() - t0
    losses = state.losses[first:]
    k = max(1, len(losses) // 10)
    record |= {
        "steps": state.step - first, "step_end": state.step,
        "examples_seen": state.examples_seen,
        "examples_this_run": state.examples_seen - record["examples_seen_start"],
        "epoch": state.epoch + 1, "seconds": round(secs, 1),
        "load_avg_end": list(os.getloadavg()), "stopped_by": received,
        "lr_now": round(float(sched.get_last_lr()[0]), 8),
        "loss_first": round(float(np.mean(losses[:k])), 4) if losses else None,
        "loss_last": round(float(np.mean(losses[-k:])), 4) if losses else None,
        "loss_curve": [round(float(np.mean(losses[i:i + k])), 4)
                       for i in range(0, len(losses), k)]}
    state.runs.append({k2: v for k2, v in record.items() if k2 != "loss_curve"})
    save_checkpoint(run_dir, model, opt, sched, state)
    record["probe_loss_after"] = probe_loss()
    return record
