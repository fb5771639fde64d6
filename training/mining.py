"""Hard negatives mined from a model's confusions: the wrong occupations it ranks highest.

For every title anchor whose positive is an occupation's preferred label (sources ``esco-alt``,
``onet-title``, ``onet-reported``), the model ranks all ESCO preferred labels; the candidates are
the first :data:`TOP_K` (among the top :data:`SEARCH_DEPTH`) that are *not* a right answer:

- the occupation itself, and every occupation that lists the anchor among its own labels
  (an alternative label shared by two occupations is a synonym of both);
- every occupation with the same preferred label text;
- for O*NET titles, every ESCO occupation the crosswalk maps the title's O*NET codes to;
- any occupation scoring ≥ :data:`MAX_REL_SIM` × the anchor's score for its own occupation
  (positive-aware mining, as in NV-Retriever: a near-tie is more often an unlabelled synonym
  than a mistake).

With probability ``share`` an example's sibling negative is replaced by one of the first three
candidates (at random, for variety). The evaluation filter in ``training.datasets.build_pairs``
runs afterwards, so a mined negative obeys the same rule as every other text.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from matcher.taxonomy import Taxonomy
from training.examples import Example, norm

TOP_K = 10
SEARCH_DEPTH = 200  # candidates are looked for among this many top-ranked occupations
MAX_REL_SIM = 0.95
TITLE_SOURCES = ("esco-alt", "onet-title", "onet-reported")
Log = Callable[[str], None]


def _label_owners(tax: Taxonomy) -> dict[str, set[str]]:
    owners: dict[str, set[str]] = {}
    for o in tax.occupations.values():
        for label in (o.label, *o.alt_labels):
            if label.strip():
                owners.setdefault(norm(label), set()).add(o.uri)
    return owners


def confusions(model: Any, anchors: Sequence[str], gold: Sequence[set[str]], tax: Taxonomy,
               related: Mapping[str, set[str]] | None = None, top_k: int = TOP_K,
               batch_size: int = 128) -> list[list[str]]:
    """Return, per anchor, the URIs of the wrong occupations ``model`` ranks highest.

    ``gold[i]`` holds anchor ``i``'s right occupations; ``related`` maps a normalised anchor to
    more occupations that count as right (the O*NET crosswalk's matches).
    """
    uris = list(tax.occupations)
    labels = [tax.occupations[u].label for u in uris]
    pos = {u: i for i, u in enumerate(uris)}
    by_label: dict[str, set[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(norm(label), set()).add(i)
    owners = _label_owners(tax)
    enc = {"batch_size": batch_size, "normalize_embeddings": True, "convert_to_numpy": True}
    lab = model.encode(labels, **enc)
    out: list[list[str]] = []
    for start in range(0, len(anchors), 2048):
        chunk = list(anchors[start:start + 2048])
        sims = model.encode(chunk, **enc) @ lab.T
        for row, a, g in zip(sims, chunk, gold[start:start + 2048], strict=True):
            right = {pos[u] for u in g | owners.get(norm(a), set()) |
                     (related or {}).get(norm(a), set()) if u in pos}
            for i in list(right):
                right |= by_label.get(norm(labels[i]), set())
            ceiling = MAX_REL_SIM * max((row[i] for i in right), default=1.0)
            order = np.argsort(-row)
            picked: list[str] = []
            for i in order[:SEARCH_DEPTH]:
                if int(i) not in right and row[i] < ceiling:
                    picked.append(uris[int(i)])
                if len(picked) >= top_k:
                    break
            out.append(picked)
    return out


def mine_negatives(model: Any, examples: list[Example], tax: Taxonomy, *, share: float = 0.5,
                   related: Mapping[str, set[str]] | None = None, seed: int = 0,
                   max_anchors: int | None = None, log: Log = print) -> list[Example]:
    """Return ``examples`` with a share of the title examples' negatives mined from confusions.

    ``max_anchors``: mine for at most this many distinct anchors (a random sample; encoding all
    ~47,000 title anchors takes ~16 CPU-minutes with MiniLM on this 2-core machine).
    """
    rng = random.Random(seed + 7)
    titled = [i for i, e in enumerate(examples) if e.source in TITLE_SOURCES
              and e.key in tax.occupations]
    gold: dict[str, set[str]] = {}
    for i in titled:
        gold.setdefault(examples[i].anchor, set()).add(examples[i].key)
    anchors = sorted(gold)
    if max_anchors is not None and len(anchors) > max_anchors:
        anchors = sorted(rng.sample(anchors, max_anchors))
    log(f"   mining hard negatives: ranking {len(tax.occupations)} occupations for "
        f"{len(anchors)} title anchors")
    found = dict(zip(anchors, confusions(model, anchors, [gold[a] for a in anchors], tax,
                                         related), strict=True))
    out = list(examples)
    mined = 0
    for i in titled:
        e = examples[i]
        cands = found.get(e.anchor) or []
        if cands and rng.random() < share:
            out[i] = replace(e, negative=tax.occupations[rng.choice(cands[:3])].label)
            mined += 1
    log(f"   {mined} of {len(titled)} title examples got a mined negative")
    return out
