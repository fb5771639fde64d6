"""Training data: taxonomy pairs (ESCO, O*NET through the crosswalk) and recorded outcomes.

Every example is ``(anchor, positive, negative, key)``: the anchor should sit closer to the
positive than to the (hard) negative and to the other examples' positives in its batch. ``key``
names the concept the positive stands for, so a batch never holds two examples of one concept
(an in-batch "negative" that is really a positive would teach the wrong thing).

Sources
-------
- ``esco-alt``:    ESCO alternative label → its occupation's preferred label; hard negative: the
                   preferred label of another occupation in the same ISCO-08 unit group.
- ``onet-title``:  O*NET 27.0 alternate title → the preferred label of the ESCO occupation the
                   Nesta crosswalk maps to that O*NET occupation (the best-similarity one, when
                   several do); hard negative as above.
- ``esco-skill``:  ESCO occupation preferred label → one of its essential skills; negative: an
                   essential skill of a sibling occupation that this one does not list.
- ``outcome``:     a job order's text → the text of a worker an officer shortlisted, selected or
                   deployed for it; negative: a worker rejected for the same job order.

The split (documented in docs/quality.md, tested in tests/training/test_datasets.py)
-------------------------------------------------------------------------------------
Evaluation data never reaches training. :func:`eval_texts` collects every text an evaluation
task queries with: TalentCLEF queries (all languages), the esco-altlabels leave-one-out sample
(rebuilt exactly as ``training.eval_tasks.esco_altlabels`` draws it, default size; smaller
``--limit`` samples are prefixes of it), SkillSpan spans, TechWolf titles and the Bangla set.
An example is dropped when any of its texts is one of them, and also when its anchor and
positive are both TalentCLEF corpus titles (a relevance judgement could leak through the pair).
Of what is left, a deterministic 5% of ESCO occupations (by a hash of the URI) is the ``dev``
split used to follow training; the rest is ``train``.

Sources: ESCO v1.1.1, European Commission (CC BY 4.0); O*NET 27.0, USDOL/ETA (CC BY 4.0);
ESCO↔O*NET crosswalk, Nesta (MIT).
"""

from __future__ import annotations

import ast
import csv
import gzip
import hashlib
import json
import random
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from matcher.taxonomy import Taxonomy
from registry.vocab import OutcomeStatus

# An officer's decision for (shortlisted … deployed) or against (rejected) a worker; ``applied``
# is not a decision. Typed against registry.vocab's outcome vocabulary.
POSITIVE_STATUSES: tuple[OutcomeStatus, ...] = ("shortlisted", "selected", "deployed")
NEGATIVE_STATUSES: tuple[OutcomeStatus, ...] = ("rejected",)
OUTCOME_STATUSES: tuple[OutcomeStatus, ...] = (*POSITIVE_STATUSES, *NEGATIVE_STATUSES)
DEV_SHARE = 0.05
ESCO_ALT_SAMPLE = 2000  # training.eval_tasks.esco_altlabels draws this many pairs by default
EVAL_SEED = 13  # EvalContext.seed
ONET_TITLES_PER_CODE = 60
SKILLS_PER_OCCUPATION = 3


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


def _is_dev(uri: str) -> bool:
    return int(hashlib.sha1(uri.encode()).hexdigest()[:8], 16) % 1000 < DEV_SHARE * 1000


# --------------------------------------------------------------------------------------------
# What the evaluations query with
# --------------------------------------------------------------------------------------------


def esco_altlabel_eval_queries(tax: Taxonomy, n: int = ESCO_ALT_SAMPLE,
                               seed: int = EVAL_SEED) -> list[str]:
    """Return the alt labels ``eval_tasks.esco_altlabels`` queries with (same order, same draw).

    The task enumerates occupations in taxonomy order and each occupation's alternative labels
    that differ from its preferred label, then draws ``n`` with ``random.Random(seed)``.
    """
    pairs = [alt for o in tax.occupations.values() for alt in o.alt_labels
             if alt.strip() and alt.strip().casefold() != o.label.casefold()]
    n = min(n, len(pairs))
    if n >= len(pairs):
        return pairs
    idx = sorted(random.Random(seed).sample(range(len(pairs)), n))
    return [pairs[i] for i in idx]


def _tsv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [r for r in csv.reader(fh, delimiter="\t") if r]


def talentclef_texts(data_dir: Path) -> tuple[set[str], set[str]]:
    """Return (queries, corpus titles) of TalentCLEF task A validation, every language."""
    queries, corpus = set(), set()
    base = Path(data_dir) / "eval" / "talentclef2025-task-a" / "validation"
    for d in sorted(base.glob("*")):
        if (d / "queries").exists():
            queries |= {norm(r[1]) for r in _tsv(d / "queries")[1:] if len(r) > 1}
        if (d / "corpus_elements").exists():
            corpus |= {norm(r[1]) for r in _tsv(d / "corpus_elements")[1:] if len(r) > 1}
    return queries, corpus


def eval_texts(data_dir: Path, tax: Taxonomy) -> tuple[set[str], set[str]]:
    """Return (texts no training example may contain, TalentCLEF corpus titles)."""
    data_dir = Path(data_dir)
    held: set[str] = set()
    tc_queries, tc_corpus = talentclef_texts(data_dir)
    held |= tc_queries
    held |= {norm(a) for a in esco_altlabel_eval_queries(tax)}
    for f in sorted((data_dir / "eval" / "skillspan-esco").glob("*_annotations.csv")):
        with open(f, encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                for k in ("span", "sub_span"):
                    if (r.get(k) or "").strip():
                        held.add(norm(r[k]))
    j2s = data_dir / "eval" / "techwolf-job2skill" / "job_skill_val.jsonl.gz"
    if j2s.exists():
        with gzip.open(j2s, "rt", encoding="utf-8") as fh:
            held |= {norm(json.loads(line)["title"]) for line in fh}
    from training.eval_tasks import read_bangla_set

    held |= {norm(q) for q, _, _ in read_bangla_set()}
    held.discard("")
    return held, tc_corpus


# --------------------------------------------------------------------------------------------
# Taxonomy pairs
# --------------------------------------------------------------------------------------------


def _siblings(tax: Taxonomy) -> dict[str, list[str]]:
    by_group: dict[str, list[str]] = {}
    for o in tax.occupations.values():
        by_group.setdefault(o.isco_group, []).append(o.uri)
    return by_group


def _sibling(rng: random.Random, tax: Taxonomy, groups: dict[str, list[str]], uri: str) -> str:
    o = tax.occupations[uri]
    for digits in (4, 3, 2):
        pool = [u for g, us in groups.items() if g[:digits] == o.isco_group[:digits]
                for u in us if u != uri] if digits < 4 else \
            [u for u in groups.get(o.isco_group, []) if u != uri]
        if pool:
            return rng.choice(pool)
    return rng.choice(list(tax.occupations))


def esco_alt_pairs(tax: Taxonomy, rng: random.Random) -> Iterator[Example]:
    """Yield ESCO alternative label → preferred label examples."""
    groups = _siblings(tax)
    for o in tax.occupations.values():
        for alt in o.alt_labels:
            if alt.strip() and norm(alt) != norm(o.label):
                neg = tax.occupations[_sibling(rng, tax, groups, o.uri)].label
                yield Example(alt.strip(), o.label, neg, o.uri, "esco-alt")


def onet_title_pairs(tax: Taxonomy, data_dir: Path, rng: random.Random) -> Iterator[Example]:
    """Yield O*NET alternate title → ESCO preferred label examples (through the crosswalk)."""
    tdir = Path(data_dir) / "taxonomy"
    best: dict[str, tuple[float, str]] = {}
    matched: dict[str, dict[str, str]] = {}
    with open(tdir / "esco-onet-crosswalk" / "esco_onet_crosswalk_Nov2020.csv",
              encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            uri, code = r["concept_uri"], r["onet_code"]
            if uri not in tax.occupations:
                continue
            sim = float(r["semantic_similarity"] or 0)
            if sim > best.get(code, (-1.0, ""))[0]:
                best[code] = (sim, uri)
            try:
                titles = ast.literal_eval(r["matching_job_titles"] or "[]")
                titles = titles if isinstance(titles, list) else []
            except (ValueError, SyntaxError):
                titles = []
            for t in titles:
                matched.setdefault(code, {})[norm(t)] = uri
    groups = _siblings(tax)
    by_code: dict[str, list[str]] = {}
    with open(tdir / "onet-27.0" / "Alternate Titles.txt", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            by_code.setdefault(r["O*NET-SOC Code"], []).append(r["Alternate Title"].strip())
    for code in sorted(by_code):
        if code not in best:
            continue
        titles = list(dict.fromkeys(by_code[code]))
        rng.shuffle(titles)
        for t in titles[:ONET_TITLES_PER_CODE]:
            uri = matched.get(code, {}).get(norm(t), best[code][1])
            label = tax.occupations[uri].label
            if norm(t) == norm(label):
                continue
            neg = tax.occupations[_sibling(rng, tax, groups, uri)].label
            yield Example(t, label, neg, uri, "onet-title")


def esco_skill_pairs(tax: Taxonomy, rng: random.Random) -> Iterator[Example]:
    """Yield occupation → essential skill examples (a few per occupation)."""
    groups = _siblings(tax)
    for o in tax.occupations.values():
        ess = list(tax.essential.get(o.uri, ()))
        if not ess:
            continue
        mine = set(ess)
        for s in rng.sample(ess, min(SKILLS_PER_OCCUPATION, len(ess))):
            sib = _sibling(rng, tax, groups, o.uri)
            pool = [x for x in tax.essential.get(sib, ()) if x not in mine]
            if not pool:
                continue
            yield Example(o.label, tax.skill_label(s), tax.skill_label(rng.choice(pool)),
                          "skill:" + s, "esco-skill")


# --------------------------------------------------------------------------------------------
# Recorded outcomes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """One recorded decision: a worker's status for a job order."""

    job_order_id: int
    worker_id: int
    status: str

    @property
    def positive(self) -> bool:
        """True for shortlisted, selected or deployed."""
        return self.status in POSITIVE_STATUSES


def load_outcomes(database_url: str) -> list[Outcome]:
    """Return every decided outcome (not ``applied``) recorded in the registry."""
    from sqlalchemy import select

    from registry.db import session_scope
    from registry.models import Application

    with session_scope(database_url) as s:
        rows = s.execute(select(Application.job_order_id, Application.worker_id,
                                Application.status)
                         .where(Application.status.in_(OUTCOME_STATUSES))
                         .order_by(Application.job_order_id, Application.worker_id)).all()
    return [Outcome(int(j), int(w), str(st)) for j, w, st in rows]


def outcome_pairs(database_url: str, tax: Taxonomy, rng: random.Random) -> Iterator[Example]:
    """Yield job text → positively decided worker text, negative: a worker rejected for it."""
    from sqlalchemy import select

    from matcher.inputs import job_text, worker_text
    from registry.db import session_scope
    from registry.models import JobOrder, Worker

    outcomes = load_outcomes(database_url)
    by_job: dict[int, list[Outcome]] = {}
    for o in outcomes:
        by_job.setdefault(o.job_order_id, []).append(o)
    with session_scope(database_url) as s:
        for job_id, outs in sorted(by_job.items()):
            pos = [o for o in outs if o.positive]
            neg = [o for o in outs if not o.positive]
            if not pos or not neg:
                continue
            job = s.get(JobOrder, job_id)
            ids = [o.worker_id for o in outs]
            workers = {w.id: w for w in s.scalars(select(Worker).where(Worker.id.in_(ids)))}
            if job is None:
                continue
            jt = job_text(job, tax)
            for p in pos:
                n = rng.choice(neg)
                if p.worker_id in workers and n.worker_id in workers:
                    yield Example(jt, worker_text(workers[p.worker_id], tax),
                                  worker_text(workers[n.worker_id], tax),
                                  f"worker:{p.worker_id}", "outcome")


# --------------------------------------------------------------------------------------------
# Assembling the split
# --------------------------------------------------------------------------------------------


def build_pairs(tax: Taxonomy, data_dir: Path, *, sources: Sequence[str] = (
        "esco-alt", "onet-title", "esco-skill"), database_url: str | None = None,
        seed: int = 0, max_examples: int | None = None) -> PairSet:
    """Build the train/dev split from ``sources``, with every evaluation text held out."""
    rng = random.Random(seed)
    held, tc_corpus = eval_texts(data_dir, tax)
    gens: dict[str, Iterable[Example]] = {
        "esco-alt": esco_alt_pairs(tax, rng),
        "onet-title": onet_title_pairs(tax, data_dir, rng),
        "esco-skill": esco_skill_pairs(tax, rng),
    }
    if "outcome" in sources:
        if not database_url:
            raise ValueError("outcome pairs need a database_url")
        gens["outcome"] = outcome_pairs(database_url, tax, rng)
    train: list[Example] = []
    dev: list[Example] = []
    counts: dict[str, int] = {}
    dropped = 0
    for name in sources:
        if name not in gens:
            raise KeyError(f"unknown pair source {name!r}; known: {', '.join(gens)}, outcome")
        for e in gens[name]:
            texts = (norm(e.anchor), norm(e.positive), norm(e.negative))
            if any(t in held for t in texts) or (texts[0] in tc_corpus and texts[1] in tc_corpus):
                dropped += 1
                continue
            uri = e.key if e.source in ("esco-alt", "onet-title") else ""
            (dev if uri and _is_dev(uri) else train).append(e)
            counts[name] = counts.get(name, 0) + 1
    rng.shuffle(train)
    if max_examples is not None:
        train = train[:max_examples]
    files = [Path(data_dir) / "taxonomy" / "esco-1.1.1" / n for n in (
        "occupations_en.csv", "skills_en.csv", "occupationSkillRelations.csv")]
    files += [Path(data_dir) / "taxonomy" / "onet-27.0" / "Alternate Titles.txt",
              Path(data_dir) / "taxonomy" / "esco-onet-crosswalk" /
              "esco_onet_crosswalk_Nov2020.csv"]
    return PairSet(train, dev, counts, dropped, len(held),
                   {"taxonomy_files": file_fingerprint(files), "seed": str(seed),
                    "sources": ",".join(sources)})


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
