"""What every evaluation task shares: the context it runs in, its result type and how systems
are scored on a labelled query set.

A task is a function ``task(ctx: EvalContext) -> TaskResult`` (see ``training.eval_tasks``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import numpy as np

from matcher.bm25 import BM25Index
from matcher.encoder import PACKAGED, TextEncoder, get_encoder
from matcher.normalise import ConceptRanker, build_occupation_ranker, build_skill_ranker
from matcher.taxonomy import Taxonomy, load_taxonomy
from training.metrics import METRICS


class Row(TypedDict):
    """One line of the results table: a metric on a data set for each system."""

    dataset: str
    n: int
    metric: str
    systems: dict[str, float]  # shetu, bm25, minilm


class Primary(TypedDict):
    """The one figure a task is judged by: Shetu's value of ``metric`` on ``dataset``."""

    metric: str
    dataset: str
    value: float


class TaskResult(TypedDict):
    """What a task returns (and ``docs/quality.json`` stores)."""

    rows: list[Row]
    notes: str
    primary: Primary
    seconds: NotRequired[float]
    date: NotRequired[str]
    model: NotRequired[str]


def task_result(rows: list[Row], notes: str, metric: str, dataset: str = "") -> TaskResult:
    """Return a task's result whose primary figure is Shetu's ``metric`` on the first row whose
    data set starts with ``dataset``."""
    row = next(r for r in rows if r["metric"] == metric and r["dataset"].startswith(dataset))
    return {"rows": rows, "notes": notes, "primary": {
        "metric": metric, "dataset": row["dataset"], "value": row["systems"]["shetu"]}}


@dataclass
class EvalContext:
    """What a task needs: data paths, the model under test, and lazily built shared objects."""

    data_dir: Path
    esco_dir: Path
    cache_dir: Path
    model: str = PACKAGED
    baseline_model: str = PACKAGED
    limit: int | None = None
    seed: int = 13
    log: Callable[[str], None] = print
    _memo: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Any, model: str | None = None, **kw: Any) -> EvalContext:
        """Build a context from ``registry.config.Settings`` (or anything with the same fields)."""
        return cls(data_dir=Path(settings.data_dir), esco_dir=Path(settings.esco_dir),
                   cache_dir=Path(settings.cache_dir), model=model or settings.model,
                   **kw)

    def _get(self, key: str, build: Callable[[], Any]) -> Any:
        if key not in self._memo:
            t = time.time()
            self._memo[key] = build()
            if time.time() - t > 2:
                self.log(f"  [{key} ready in {time.time() - t:.0f}s]")
        return self._memo[key]

    @property
    def eval_dir(self) -> Path:
        return self.data_dir / "eval"

    @property
    def taxonomy(self) -> Taxonomy:
        return self._get("taxonomy", lambda: load_taxonomy(self.esco_dir, self.cache_dir))

    @property
    def encoder(self) -> TextEncoder:
        return get_encoder(self.model)

    @property
    def baseline_encoder(self) -> TextEncoder:
        return get_encoder(self.baseline_model)

    @property
    def occupations(self) -> ConceptRanker:
        return self._get("occupations", lambda: build_occupation_ranker(
            self.taxonomy, self.encoder, self.cache_dir))

    @property
    def skills(self) -> ConceptRanker:
        return self._get("skills", lambda: build_skill_ranker(
            self.taxonomy, self.encoder, self.cache_dir))

    def preferred_vectors(self, ranker: ConceptRanker) -> np.ndarray:
        """Return baseline MiniLM vectors of each concept's preferred label (reusing the cache)."""
        def build() -> np.ndarray:
            if getattr(ranker.encoder, "name", "") == getattr(self.baseline_encoder, "name", "-"):
                return ranker.label_vecs[ranker.starts]
            return self.baseline_encoder.encode([c.label for c in ranker.concepts])
        return self._get(f"pref-{ranker.kind}", build)

    def label_bm25(self, ranker: ConceptRanker) -> BM25Index:
        """Return a BM25 index whose documents are the ranker's label entries."""
        return self._get(f"bm25-{ranker.kind}", lambda: BM25Index(ranker.entries))

    def sample(self, items: list, n: int) -> list:
        """Return a seeded sample of at most ``limit`` (or ``n``) items, order kept."""
        n = min(len(items), self.limit or n)
        if n >= len(items):
            return items
        idx = sorted(random.Random(self.seed).sample(range(len(items)), n))
        return [items[i] for i in idx]


def score_systems(systems: Mapping[str, Callable[[int, int], np.ndarray]], qrels: list[list[int]],
                  metrics: Sequence[str], dataset: str, batch: int = 256) -> list[Row]:
    """Average ``metrics`` over queries for each system; a system maps a query slice to scores."""
    sums = {s: dict.fromkeys(metrics, 0.0) for s in systems}
    for name, fn in systems.items():
        for start in range(0, len(qrels), batch):
            block = fn(start, min(start + batch, len(qrels)))
            for j, rel in enumerate(qrels[start:start + batch]):
                for m in metrics:
                    sums[name][m] += METRICS[m](block[j], rel)
    n = max(len(qrels), 1)
    return [{"dataset": dataset, "n": len(qrels), "metric": m,
             "systems": {s: round(sums[s][m] / n, 4) for s in systems}} for m in metrics]
