"""The skills a job (or a worker's own words) calls for: one fusion for suggestions and evaluation.

Four signals over every ESCO skill, each standardised per text (z-score) and fused linearly:

- ``vacancies``: the share of vacancies with a similar title that ask for the skill
  (:class:`matcher.vacancy_skills.VacancySkills`, on the text's first sentence), when fitted,
  weighted down to nothing where no fitted vacancy title is similar (:data:`GATE_FROM`);
- ``direct``: the skill ranker's hybrid score for the text;
- ``preferred``: the cosine of the text to the skill's preferred label;
- ``occupations``: the essential (1.0) and optional (0.5) skills of the text's ESCO occupations,
  weighted by a softmax (top 30, T = 0.1) of the occupation ranker's scores.

The weights were chosen on a dev split of TechWolf vacancy titles that ``shetu eval job2skill``
does not score (docs/quality.md, "Job → skills"); without vacancy evidence the earlier
three-signal weights apply. ``POST /api/v1/taxonomy/suggest`` and the evaluation call the same
:func:`fuse_job_skills`, so the documented figure is the suggestions' own.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from matcher.normalise import ConceptRanker
from matcher.query_text import query_head
from matcher.taxonomy import Taxonomy
from matcher.vacancy_skills import VacancySkills

# Chosen on the dev split (500 TechWolf titles outside the evaluated sample). 2026-11-28, without
# vacancy evidence: dev MAP direct 0.065, MiniLM 0.067, direct+preferred 0.071, those three
# 0.079. 2026-12-03, with it (fitted on the train split): vacancies alone 0.161, all four 0.173.
WEIGHTS = {"vacancies": 0.5, "direct": 0.3, "preferred": 0.2, "occupations": 0.05}
WEIGHTS_WITHOUT_VACANCIES = {"direct": 0.54, "preferred": 0.36, "occupations": 0.10}
# The vacancy evidence counts fully where the text's nearest vacancy title has cosine ≥ 0.5, not
# at all below 0.4, linearly between: a text unlike every fitted vacancy ("I am a mason", when
# the vacancies are US job-board titles) gets the ESCO signals alone. Chosen on the dev split
# (MAP 0.1725 without the gate, 0.1728 with it; 6 % of dev titles are below 0.5).
GATE_FROM, GATE_WIDTH = 0.4, 0.1
OCCUPATION_TOP, OCCUPATION_TEMP = 30, 0.1

# (id(occupations), id(skills), id(tax)) → (the three objects, kept alive so that their ids are
# not reused while the entry lives; the matrix). A few entries: one per ranker pair in use.
_O2S: dict[tuple[int, int, int], tuple[tuple[object, object, object], sparse.csr_matrix]] = {}
_O2S_LOCK = threading.Lock()
_O2S_KEEP = 4


def zscore(x: np.ndarray) -> np.ndarray:
    """Standardise each row (per-text z-score), so scores on different scales can be fused."""
    return (x - x.mean(axis=1, keepdims=True)) / (x.std(axis=1, keepdims=True) + 1e-9)


def softmax_top(x: np.ndarray, top: int, temp: float) -> np.ndarray:
    """Keep each row's ``top`` scores, softmax them at ``temp``; zeros elsewhere."""
    out = np.zeros_like(x)
    top = max(1, min(top, x.shape[1]))
    idx = np.argpartition(-x, top - 1, axis=1)[:, :top]
    rows = np.arange(x.shape[0])[:, None]
    v = x[rows, idx] / temp
    v = np.exp(v - v.max(axis=1, keepdims=True))
    out[rows, idx] = v / v.sum(axis=1, keepdims=True)
    return out


def occupation_skills(occupations: ConceptRanker, skills: ConceptRanker, tax: Taxonomy
                      ) -> sparse.csr_matrix:
    """Return the occupation × skill matrix (essential 1.0, optional 0.5), built once."""
    key = (id(occupations), id(skills), id(tax))
    with _O2S_LOCK:
        if key in _O2S:
            return _O2S[key][1]
    rows, cols, vals = [], [], []
    for oi, c in enumerate(occupations.concepts):
        for weight, by_occ in ((1.0, tax.essential), (0.5, tax.optional)):
            for s in by_occ.get(c.uri, ()):
                j = skills.uri_index.get(s)
                if j is not None:
                    rows.append(oi)
                    cols.append(j)
                    vals.append(weight)
    m = sparse.csr_matrix((vals, (rows, cols)), shape=(len(occupations.concepts),
                                                       len(skills.concepts)), dtype=np.float32)
    with _O2S_LOCK:
        while len(_O2S) >= _O2S_KEEP:
            _O2S.pop(next(iter(_O2S)))
        _O2S[key] = ((occupations, skills, tax), m)
    return m


def fuse_job_skills(texts: Sequence[str], direct: np.ndarray, occupation_scores: np.ndarray,
                    skills: ConceptRanker, o2s: sparse.csr_matrix,
                    vacancies: VacancySkills | None = None) -> np.ndarray:
    """Return fused (n_texts × n_skills) scores; higher is better, comparable within a row.

    ``texts`` are prepared for the skill ranker (``skills.prepare``); ``direct`` is
    ``skills.score_matrix(texts)`` and ``occupation_scores`` the occupation ranker's scores for
    the same texts (computed by the caller, who usually needs them anyway).
    """
    qv = skills.encoder.encode(list(texts))
    pref = qv @ skills.label_vecs[skills.starts].T
    via = np.asarray((sparse.csr_matrix(softmax_top(occupation_scores, OCCUPATION_TOP,
                                                    OCCUPATION_TEMP)) @ o2s).todense(),
                     dtype=np.float32)
    if vacancies is None:
        w = WEIGHTS_WITHOUT_VACANCIES
        return (w["direct"] * zscore(direct) + w["preferred"] * zscore(pref)
                + w["occupations"] * zscore(via))
    heads = [query_head(t) for t in texts]
    hv = qv if heads == list(texts) else skills.encoder.encode(heads)
    seen, nearest = vacancies.scores_aligned(hv, skills.uri_index, len(skills.concepts))
    trust = np.clip((nearest - GATE_FROM) / GATE_WIDTH, 0.0, 1.0)[:, None]
    w = WEIGHTS
    return (w["vacancies"] * trust * zscore(seen) + w["direct"] * zscore(direct)
            + w["preferred"] * zscore(pref) + w["occupations"] * zscore(via))
