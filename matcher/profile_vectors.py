"""Worker vectors from precomputed ESCO label embeddings, without running the encoder per profile.

A structured profile (ESCO occupations with years, ESCO skills) is represented by the weighted
mean of the embeddings of its occupations' and skills' preferred labels, L2-normalised:

    v = Σ_occ w_occ(i) · e(occupation_i) + skills_weight · mean_j e(skill_j)

with ``w_occ = occupation_weight`` for the first (main) occupation and half of it for the others.
The label embeddings are encoded once (about 17k ESCO labels) and cached by the caller; this
module does no I/O. bench/ingest.py measures the quality cost against encoding the profile text
(cosine to the text embedding, and agreement of the vector top-k).

Free text (``self_description``) still needs the encoder: a profile with neither occupations nor
skills gets a zero vector here, and the caller must encode its text instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

OCCUPATION_WEIGHT = 1.0
SKILLS_WEIGHT = 1.0


@dataclass(frozen=True)
class LabelSpace:
    """Embeddings of ESCO concept labels: ``vectors[index[uri]]`` is the unit vector of ``uri``."""

    index: Mapping[str, int]
    vectors: np.ndarray

    @classmethod
    def from_pairs(cls, uris: Sequence[str], vectors: np.ndarray) -> LabelSpace:
        """Build from parallel lists of URIs and their (unit) label embeddings."""
        return cls({u: i for i, u in enumerate(uris)}, np.asarray(vectors, dtype=np.float32))


def profile_weights(experience: Sequence[Mapping[str, Any]], skills: Sequence[str],
                    space: LabelSpace, *, occupation_weight: float = OCCUPATION_WEIGHT,
                    skills_weight: float = SKILLS_WEIGHT) -> dict[int, float]:
    """Return ``{label row: weight}`` for one profile (empty when nothing is known)."""
    out: dict[int, float] = {}
    for i, e in enumerate(experience or ()):
        r = space.index.get(e.get("occupation_uri") or "")
        if r is not None:
            out[r] = out.get(r, 0.0) + occupation_weight * (1.0 if i == 0 else 0.5)
    rows = [r for s in skills or () if (r := space.index.get(s)) is not None]
    for r in rows:
        out[r] = out.get(r, 0.0) + skills_weight / len(rows)
    return out


def profile_vectors(profiles: Sequence[tuple[Sequence[Mapping[str, Any]], Sequence[str]]],
                    space: LabelSpace, *, occupation_weight: float = OCCUPATION_WEIGHT,
                    skills_weight: float = SKILLS_WEIGHT) -> np.ndarray:
    """Return ``(n, dim)`` unit vectors for ``(experience, skills)`` profiles (zero if empty)."""
    dim = space.vectors.shape[1]
    indptr: list[int] = [0]
    cols: list[int] = []
    vals: list[float] = []
    for experience, skills in profiles:
        w = profile_weights(experience, skills, space, occupation_weight=occupation_weight,
                            skills_weight=skills_weight)
        cols.extend(w)
        vals.extend(w.values())
        indptr.append(len(cols))
    if not profiles:
        return np.zeros((0, dim), dtype=np.float32)
    from scipy.sparse import csr_matrix

    m = csr_matrix((np.asarray(vals, dtype=np.float32), np.asarray(cols, dtype=np.int64),
                    np.asarray(indptr, dtype=np.int64)),
                   shape=(len(profiles), len(space.vectors)))
    out = np.asarray(m @ space.vectors, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms
