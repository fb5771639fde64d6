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
                   The "Sample of Reported Titles" (what O*NET survey respondents answered) come
                   first within the per-code cap (source ``onet-reported``).
- ``esco-skillset``: title (preferred or alternative label) → a text listing up to six of its
                   essential skills (JobBERT's title ↔ skill-set idea); negative: a sibling's.
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
Hard negatives mined from a model's confusions (``training.mining``) replace negatives before
this filter, so they obey it too. Of what is left, a deterministic 5% of ESCO occupations (by
a hash of the URI) is the ``dev`` split used to follow training; the rest is ``train``.

Sources: ESCO v1.1.1, European Commission (CC BY 4.0); O*NET 27.0, USDOL/ETA (CC BY 4.0);
ESCO↔O*NET crosswalk, Nesta (MIT).
"""


from __future__ import annotations

import ast
import csv
import hashlib
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from matcher.taxonomy import Taxonomy
from training.examples import (
    Example,
    PairSet,
    batches,
    file_fingerprint,
    fingerprint,
    norm,
    write_examples,
)
from training.held_out import (
    ESCO_ALT_SAMPLE,
    EVAL_SEED,
    esco_altlabel_eval_queries,
    eval_texts,
    talentclef_texts,
)
from training.outcomes import (
    NEGATIVE_STATUSES,
    OUTCOME_STATUSES,
    POSITIVE_STATUSES,
    Outcome,
    load_outcomes,
    outcome_pairs,
)

__all__ = [
    "ESCO_ALT_SAMPLE", "EVAL_SEED", "NEGATIVE_STATUSES", "OUTCOME_STATUSES", "POSITIVE_STATUSES",
    "Example", "Outcome", "PairSet", "batches", "build_pairs", "esco_alt_pairs",
    "esco_altlabel_eval_queries", "esco_skill_pairs", "esco_skillset_pairs", "eval_texts",
    "file_fingerprint", "fingerprint", "load_outcomes", "norm", "onet_related",
    "onet_title_pairs", "outcome_pairs", "talentclef_texts", "write_examples",
]

DEV_SHARE = 0.05
ONET_TITLES_PER_CODE = 60
SKILLS_PER_OCCUPATION = 3
SKILLSET_SIZE = 6
ALL_SOURCES = ("esco-alt", "onet-title", "esco-skill", "esco-skillset", "outcome")
Miner = Callable[[list[Example]], list[Example]]


def _is_dev(uri: str) -> bool:
    return int(hashlib.sha1(uri.encode()).hexdigest()[:8], 16) % 1000 < DEV_SHARE * 1000


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


def _crosswalk(tax: Taxonomy, data_dir: Path) -> tuple[dict[str, tuple[float, str]],
                                                       dict[str, dict[str, str]]]:
    """Return (O*NET code → best-similarity ESCO URI, code → {matching title: URI})."""
    best: dict[str, tuple[float, str]] = {}
    matched: dict[str, dict[str, str]] = {}
    path = Path(data_dir) / "taxonomy" / "esco-onet-crosswalk" / "esco_onet_crosswalk_Nov2020.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            uri, code = r["concept_uri"], r["onet_code"]
            if uri not in tax.occupations:
                continue
            sim = float(r["semantic_similarity"] or 0)
            if sim > best.get(code, (-1.0, ""))[0]:
                best[code] = (sim, uri)
            matched.setdefault(code, {})
            try:
                titles = ast.literal_eval(r["matching_job_titles"] or "[]")
                titles = titles if isinstance(titles, list) else []
            except (ValueError, SyntaxError):
                titles = []
            for t in titles:
                matched[code][norm(t)] = uri
    return best, matched


def _onet_titles(data_dir: Path, file: str, column: str) -> dict[str, list[str]]:
    by_code: dict[str, list[str]] = {}
    with open(Path(data_dir) / "taxonomy" / "onet-27.0" / file, encoding="utf-8",
              newline="") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            by_code.setdefault(r["O*NET-SOC Code"], []).append(r[column].strip())
    return by_code


def onet_related(tax: Taxonomy, data_dir: Path) -> dict[str, set[str]]:
    """Return O*NET title (normalised) → every ESCO URI the crosswalk maps its codes to.

    Hard-negative mining never picks these for an O*NET title: the crosswalk calls them matches.
    """
    _best, matched = _crosswalk(tax, data_dir)
    code_uris = {c: set(m.values()) for c, m in matched.items()}
    out: dict[str, set[str]] = {}
    for code, titles in _onet_titles(data_dir, "Alternate Titles.txt", "Alternate Title").items():
        for t in titles:
            out.setdefault(norm(t), set()).update(code_uris.get(code, ()))
    return out


def onet_title_pairs(tax: Taxonomy, data_dir: Path, rng: random.Random) -> Iterator[Example]:
    """Yield O*NET title → ESCO preferred label examples (through the crosswalk).

    Per O*NET occupation at most :data:`ONET_TITLES_PER_CODE` titles: first the "Sample of
    Reported Titles" (what workers answered in the O*NET surveys; source ``onet-reported``; every
    one is also an alternate title), then alternate titles at random (source ``onet-title``).
    """
    best, matched = _crosswalk(tax, data_dir)
    groups = _siblings(tax)
    by_code = _onet_titles(data_dir, "Alternate Titles.txt", "Alternate Title")
    reported = _onet_titles(data_dir, "Sample of Reported Titles.txt", "Reported Job Title")
    for code in sorted(by_code):
        if code not in best:
            continue
        rep = list(dict.fromkeys(reported.get(code, [])))
        rep_norm = {norm(t) for t in rep}
        others = [t for t in dict.fromkeys(by_code[code]) if norm(t) not in rep_norm]
        rng.shuffle(others)
        for t in (rep + others)[:ONET_TITLES_PER_CODE]:
            uri = matched.get(code, {}).get(norm(t), best[code][1])
            label = tax.occupations[uri].label
            if norm(t) == norm(label):
                continue
            neg = tax.occupations[_sibling(rng, tax, groups, uri)].label
            yield Example(t, label, neg, uri,
                          "onet-reported" if norm(t) in rep_norm else "onet-title")


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


def _skill_text(tax: Taxonomy, uris: Sequence[str]) -> str:
    return ", ".join(tax.skill_label(u) for u in uris)


def esco_skillset_pairs(tax: Taxonomy, rng: random.Random) -> Iterator[Example]:
    """Yield title → its essential skills examples, in the JobBERT manner.

    JobBERT (Decorte et al., 2021) places a job title near the set of skills the job needs. Here
    the anchor is the occupation's preferred label or one of its alternative labels, the positive
    a text listing up to :data:`SKILLSET_SIZE` of its essential skills, and the negative the same
    for a sibling occupation (its skills that this one does not list). ``key`` is the occupation
    URI, so the split and batching treat it as that occupation.
    """
    groups = _siblings(tax)
    for o in tax.occupations.values():
        ess = list(tax.essential.get(o.uri, ()))
        if len(ess) < 3:
            continue
        mine = set(ess)
        sib = _sibling(rng, tax, groups, o.uri)
        pool = [x for x in tax.essential.get(sib, ()) if x not in mine]
        if len(pool) < 3:
            continue
        alts = [a.strip() for a in o.alt_labels if a.strip() and norm(a) != norm(o.label)]
        for title in [o.label, *rng.sample(alts, min(1, len(alts)))]:
            pos = rng.sample(ess, min(SKILLSET_SIZE, len(ess)))
            neg = rng.sample(pool, min(SKILLSET_SIZE, len(pool)))
            yield Example(title, _skill_text(tax, pos), _skill_text(tax, neg), o.uri,
                          "esco-skillset")


# --------------------------------------------------------------------------------------------
# Assembling the split
# --------------------------------------------------------------------------------------------


def build_pairs(tax: Taxonomy, data_dir: Path, *, sources: Sequence[str] = (
        "esco-alt", "onet-title", "esco-skill"), database_url: str | None = None,
        seed: int = 0, max_examples: int | None = None, miner: Miner | None = None) -> PairSet:
    """Build the train/dev split from ``sources``, with every evaluation text held out.

    ``miner`` (e.g. :func:`training.mining.confusion_miner`) may replace negatives before the
    evaluation filter runs, so a mined negative is held to the same rule as every other text.
    """
    rng = random.Random(seed)
    held, tc_corpus = eval_texts(data_dir, tax)
    gens: dict[str, Callable[[], Iterable[Example]]] = {
        "esco-alt": lambda: esco_alt_pairs(tax, rng),
        "onet-title": lambda: onet_title_pairs(tax, data_dir, rng),
        "esco-skill": lambda: esco_skill_pairs(tax, rng),
        "esco-skillset": lambda: esco_skillset_pairs(tax, rng),
    }
    if "outcome" in sources:
        if not database_url:
            raise ValueError("outcome pairs need a database_url")
        gens["outcome"] = lambda: outcome_pairs(database_url, tax, rng)
    made: list[Example] = []
    for name in sources:
        if name not in gens:
            raise KeyError(f"unknown pair source {name!r}; known: {', '.join(ALL_SOURCES)}")
        made.extend(gens[name]())
    if miner is not None:
        made = miner(made)
    train: list[Example] = []
    dev: list[Example] = []
    counts: dict[str, int] = {}
    dropped = 0
    for e in made:
        texts = (norm(e.anchor), norm(e.positive), norm(e.negative))
        if any(t in held for t in texts) or (texts[0] in tc_corpus and texts[1] in tc_corpus):
            dropped += 1
            continue
        (dev if e.key in tax.occupations and _is_dev(e.key) else train).append(e)
        counts[e.source] = counts.get(e.source, 0) + 1
    rng.shuffle(train)
    if max_examples is not None:
        train = train[:max_examples]
    files = [Path(data_dir) / "taxonomy" / "esco-1.1.1" / n for n in (
        "occupations_en.csv", "skills_en.csv", "occupationSkillRelations.csv")]
    files += [Path(data_dir) / "taxonomy" / "onet-27.0" / n for n in (
        "Alternate Titles.txt", "Sample of Reported Titles.txt")]
    files += [Path(data_dir) / "taxonomy" / "esco-onet-crosswalk" /
              "esco_onet_crosswalk_Nov2020.csv"]
    return PairSet(train, dev, counts, dropped, len(held),
                   {"taxonomy_files": file_fingerprint(files), "seed": str(seed),
                    "sources": ",".join(sources)})
