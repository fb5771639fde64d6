"""Training examples: the triple, the train/dev set, and how examples are batched and kept.

Every example is ``(anchor, positive, negative, key)``: the anchor should sit closer to the
positive than to the (hard) negative and to the other examples' positives in its batch. ``key``
names the concept the positive stands for, so a batch never holds two examples of one concept
(an in-batch "negative" that is really a positive would teach the wrong thing).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Example:
    """One training triple with the concept key its positive stands for."""

    anchor: str
    positive: str
    negative: str
    key: str
    source: str


@dataclass
class PairSet:
    """Train and dev examples, with counts and what was held out for evaluation."""

    train: list[Example]
    dev: list[Example]
    counts: dict[str, int] = field(default_factory=dict)
    dropped_eval: int = 0
    eval_texts: int = 0
    sources: dict[str, str] = field(default_factory=dict)

    def manifest(self) -> dict[str, Any]:
        """Return what a model card needs to name its data exactly."""
        return {"train": len(self.train), "dev": len(self.dev), "by_source": self.counts,
                "dropped_because_eval": self.dropped_eval, "eval_texts_held_out": self.eval_texts,
                "sources": self.sources, "fingerprint": fingerprint(self.train)}


def norm(text: str) -> str:
    """Return the comparison form of a text (case- and space-insensitive)."""
    return " ".join(str(text).casefold().split())


def fingerprint(examples: Iterable[Example]) -> str:
    """Return a short hash of a list of examples (order-sensitive)."""
    h = hashlib.sha256()
    for e in examples:
        h.update("\x1f".join((e.anchor, e.positive, e.negative, e.key)).encode())
        h.update(b"\x1e")
    return h.hexdigest()[:16]


def file_fingerprint(paths: Iterable[Path]) -> str:
    """Return a short hash of files' names and bytes (the exact data a model came from)."""
    h = hashlib.sha256()
    for p in sorted(Path(x) for x in paths):
        if p.exists():
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def batches(examples: Sequence[Example], batch_size: int, rng: random.Random
            ) -> Iterator[list[Example]]:
    """Yield batches in which no concept key and no positive text occurs twice (one pass)."""
    order = list(examples)
    rng.shuffle(order)
    fresh = iter(order)
    deferred: deque[Example] = deque()
    while True:
        batch: list[Example] = []
        seen: set[str] = set()
        retry: list[Example] = []
        for source in (deferred, fresh):
            while len(batch) < batch_size:
                if source is deferred:
                    if not deferred:
                        break
                    e = deferred.popleft()
                else:
                    nxt = next(fresh, None)
                    if nxt is None:
                        break
                    e = nxt
                marks = ("k:" + e.key, "p:" + norm(e.positive))
                if seen.isdisjoint(marks):
                    batch.append(e)
                    seen.update(marks)
                elif source is deferred:
                    retry.append(e)
                else:
                    deferred.append(e)
        deferred.extendleft(reversed(retry))
        if not batch:
            return
        if len(batch) >= 2:  # a lone leftover has no in-batch negatives: skipped
            yield batch


def write_examples(examples: Iterable[Example], path: Path) -> Path:
    """Write examples as JSON lines (the exact training data, kept beside a model)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for e in examples:
            fh.write(json.dumps(asdict(e), ensure_ascii=False) + "\n")
    return path


def read_examples(path: Path) -> list[Example]:
    """Read examples written by :func:`write_examples` (same order)."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [Example(**json.loads(line)) for line in fh if line.strip()]
