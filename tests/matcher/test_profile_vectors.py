"""Profile vectors from label embeddings: weighted, normalised, zero when nothing is known."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.profile_vectors import LabelSpace, profile_vectors, profile_weights

SPACE = LabelSpace.from_pairs(["occ:a", "occ:b", "sk:1", "sk:2"], np.eye(4, dtype=np.float32))


def test_weights_main_occupation_full_others_half_skills_share_one():
    w = profile_weights([{"occupation_uri": "occ:a"}, {"occupation_uri": "occ:b"}],
                        ["sk:1", "sk:2", "sk:unknown"], SPACE)
    assert w == {0: 1.0, 1: 0.5, 2: 0.5, 3: 0.5}


def test_vectors_are_unit_and_follow_the_weights():
    v = profile_vectors([([{"occupation_uri": "occ:a"}], ["sk:1"]), ([], [])], SPACE)
    assert v.shape == (2, 4)
    assert np.linalg.norm(v[0]) == pytest.approx(1.0)
    assert v[0] == pytest.approx(np.array([1, 0, 1, 0]) / np.sqrt(2))
    assert not v[1].any()  # nothing known: the caller must encode the free text
