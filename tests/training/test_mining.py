"""Hard negatives mined from the model's confusions: hard, but never a right answer."""

from __future__ import annotations

import random

import numpy as np
import pytest
from support import DATA_DIR

from training.datasets import build_pairs, onet_related
from training.examples import norm
from training.mining import _label_owners, mine_negatives


@pytest.fixture(scope="module")
def model():
    from sentence_transformers import SentenceTransformer

    from matcher.encoder import packaged_model_path

    return SentenceTransformer(str(packaged_model_path()), device="cpu")


@pytest.mark.slow
def test_mined_negatives_are_harder_than_siblings_and_never_synonyms(model, taxonomy) -> None:
    pairs = build_pairs(taxonomy, DATA_DIR, seed=0, sources=("esco-alt", "onet-title"))
    ex = random.Random(3).sample(pairs.train, 300)
    owners = _label_owners(taxonomy)
    # An alt label two occupations share: mining must not pick the other one.
    shared = next(e for e in pairs.train if e.source == "esco-alt"
                  and len(owners.get(norm(e.anchor), ())) > 1)
    ex.append(shared)
    related = onet_related(taxonomy, DATA_DIR)
    mined = mine_negatives(model, ex, taxonomy, share=1.0, related=related,
                           log=lambda _m: None)
    changed = [(a, b) for a, b in zip(ex, mined, strict=True) if a.negative != b.negative]
    assert len(changed) > 250
    label_uri = {norm(o.label): o.uri for o in taxonomy.occupations.values()}
    for _old, new in changed:
        neg_uri = label_uri[norm(new.negative)]
        assert neg_uri != new.key and norm(new.negative) != norm(new.positive)
        assert neg_uri not in owners.get(norm(new.anchor), set())
        assert neg_uri not in related.get(norm(new.anchor), set())

    def cos(a: list[str], b: list[str]) -> np.ndarray:
        ea = model.encode(a, normalize_embeddings=True)
        eb = model.encode(b, normalize_embeddings=True)
        return (ea * eb).sum(axis=1)

    anchors = [o.anchor for o, _ in changed]
    sib = cos(anchors, [o.negative for o, _ in changed])
    hard = cos(anchors, [n.negative for _, n in changed])
    pos = cos(anchors, [n.positive for _, n in changed])
    assert hard.mean() > sib.mean() + 0.1  # harder than a random sibling ...
    assert hard.mean() < pos.mean()  # ... and still further than the right answer
