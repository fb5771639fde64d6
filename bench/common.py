"""Shared pieces of the benchmarks: settings, synthetic data, label embeddings, timing, output.

Data is generated from ESCO as in the demo seed (``training.synthetic``); nothing is copied from
the shared data folder. Everything a benchmark writes goes under ``var/bench/`` (git-ignored).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import random
import resource
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from matcher.profile_vectors import LabelSpace  # noqa: E402
from matcher.taxonomy import Taxonomy, load_taxonomy  # noqa: E402
from registry.config import Settings  # noqa: E402

TODAY = dt.date(2025, 6, 1)  # fixed, so that runs are comparable
BENCH_DIR = Path(__file__).resolve().parent.parent / "var" / "bench"


def settings(workdir: Path | None = None, **kw: Any) -> Settings:
    """Return settings whose var_dir is a benchmark work folder (default ``var/bench/run``)."""
    var = Path(workdir or BENCH_DIR / "run")
    var.mkdir(parents=True, exist_ok=True)
    return Settings(env="test", var_dir=var, **kw)


def taxonomy(s: Settings) -> Taxonomy:
    """Load ESCO (pickle cache under the repository's var/cache)."""
    return load_taxonomy(s.esco_dir, BENCH_DIR.parent / "cache")


def machine() -> str:
    """Describe this machine in one line."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    return (f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Python "
            f"{platform.python_version()}, numpy {np.__version__}, load average {load:.1f}")


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB.

    Linux's ``VmHWM`` (reset when a process execs), not ``getrusage``'s ``ru_maxrss``, which a
    spawned child inherits from the parent that forked it.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(ms: list[float]) -> dict[str, float]:
    """p50/p95/p99 and mean of a list of milliseconds."""
    a = np.asarray(ms)
    return {"p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)),
            "p99": float(np.percentile(a, 99)), "mean": float(a.mean())}


class Timer:
    """``with Timer() as t: ...`` then ``t.s`` seconds."""

    def __enter__(self) -> Timer:
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.s = time.perf_counter() - self.t0


def emit(bench: str, result: dict[str, Any]) -> None:
    """Print a result as one JSON line and append it to var/bench/results.jsonl."""
    result = {"bench": bench, "at": dt.datetime.now().isoformat(timespec="seconds"),
              "machine": machine(), **result}
    line = json.dumps(result, default=float)
    print(line, flush=True)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    with open(BENCH_DIR / "results.jsonl", "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


# -- synthetic data ---------------------------------------------------------------------------
def job_orders(tax: Taxonomy, s: Settings, n: int = 200, seed: int = 7) -> list[dict[str, Any]]:
    """Generate job orders exactly as the demo seed does (ESCO occupations, BMET shares)."""
    from training.synthetic import generate

    data = generate(tax, s.data_dir, seed=seed, workers=1, job_orders=n, today=TODAY)
    return data.job_orders


def worker_batches(tax: Taxonomy, s: Settings, n: int, *, seed: int = 11, batch: int = 10_000,
                   jobs: list[dict[str, Any]] | None = None,
                   free_text_share: float = 0.0) -> Iterator[list[dict[str, Any]]]:
    """Yield ``n`` synthetic workers in batches (a third of them follow the job orders' trades)."""
    from training import synthetic
    from training.synthetic import make_worker, occupation_pool

    _fast_related_occupations(synthetic, tax)
    rng = random.Random(seed)
    occs, weights = occupation_pool(tax, s.data_dir)
    job_occs = [tax.occupations[j["occupation_uri"]] for j in (jobs or [])
                if j.get("occupation_uri") in tax.occupations]
    done = 0
    while done < n:
        m = min(batch, n - done)
        drawn = rng.choices(occs, weights, k=m)
        out = []
        for occ in drawn:
            if job_occs and rng.random() < 0.35:
                occ = rng.choice(job_occs)
            out.append(make_worker(rng, tax, occ, TODAY,
                                   free_text_only=rng.random() < free_text_share))
        done += m
        yield out


def _fast_related_occupations(synthetic: Any, tax: Taxonomy) -> None:
    """Make ``synthetic._related_occupation`` O(group) instead of O(ESCO): same draws, same rows.

    The seed's version scans all 3,000 occupations per call, which dominates generating 1M rows.
    """
    if getattr(synthetic._related_occupation, "_bench_fast", False):
        return
    groups: dict[str, list[Any]] = {}
    for o in tax.occupations.values():
        if tax.essential.get(o.uri):
            groups.setdefault(o.isco_group, []).append(o)

    def related(rng: random.Random, _tax: Taxonomy, occ: Any) -> Any:
        same_group = [o for o in groups.get(occ.isco_group, ()) if o.uri != occ.uri]
        return rng.choice(same_group) if same_group else occ

    related._bench_fast = True  # type: ignore[attr-defined]
    synthetic._related_occupation = related


# -- ESCO label embeddings (for structured profile vectors) ----------------------------------
def label_space(tax: Taxonomy, encoder: Any) -> LabelSpace:
    """Embeddings of every ESCO occupation and skill preferred label (cached in var/cache)."""
    uris = sorted(tax.occupations) + sorted(tax.skills)
    labels = [tax.occupations[u].label if u in tax.occupations else tax.skills[u].label
              for u in uris]
    key = hashlib.sha1("\x1e".join([encoder.name, *labels]).encode()).hexdigest()[:16]
    path = BENCH_DIR.parent / "cache" / f"bench-labels-{key}.npy"
    if path.exists():
        vecs = np.load(path).astype(np.float32)
    else:
        vecs = encoder.encode(labels, batch_size=256)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path.with_suffix(".tmp.npy"), vecs.astype(np.float16))
        path.with_suffix(".tmp.npy").replace(path)
    return LabelSpace.from_pairs(uris, vecs)


class _Row:
    def __init__(self, d: dict[str, Any], **extra: Any) -> None:
        self.__dict__.update(d)
        self.__dict__.update(extra)


def Row(d: dict[str, Any], **extra: Any) -> Any:
    """Attribute access over a worker/job dict, so the document builders accept generated rows
    (typed ``Any``: it stands in for a ``Worker`` or ``JobOrder``)."""
    return _Row(d, **extra)
