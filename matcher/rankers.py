"""The process-wide ESCO rankers: built once in the background, shared by every request.

:func:`get_occupation_ranker` / :func:`get_skill_ranker` return the ranker for a settings object
(any object with ``esco_dir``, ``cache_dir`` and ``model``), building it in a background thread
on first use; :func:`suggest_concepts` combines both for a record given only as text, with the
skills that vacancies of similar titles ask for where ``shetu train vacancy-skills`` has fitted
that evidence (:func:`get_vacancy_skills`).
The occupation ranker gets the active cross-encoder (``matcher.models.active_cross_encoder``,
read on every call, loaded once) as its second stage, or none when no pointer is set.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from matcher.encoder import get_encoder
from matcher.normalise import (
    BUILD_PROGRESS,
    ConceptRanker,
    build_occupation_ranker,
    build_skill_ranker,
)
from matcher.taxonomy import Taxonomy, load_taxonomy
from matcher.vacancy_skills import ARTEFACT, VacancySkills, VacancySkillsError

_RANKERS: dict[tuple[str, str, str, str], ConceptRanker] = {}
_BUILDS: dict[tuple[str, str, str, str], Future[ConceptRanker]] = {}
_RANKERS_LOCK = threading.Lock()
_CROSS: dict[str, Any] = {}  # artefact directory → loaded CrossReranker (None: failed to load)
# vacancy-skills directory → (meta.json inode, mtime ns, size; loaded evidence or None)
_VACANCIES: dict[str, tuple[tuple[int, int, int], VacancySkills | None]] = {}
_WARNED: set[tuple[str, str]] = set()
log = logging.getLogger(__name__)
# Builds run in the background (one thread per kind, so indexing's occupation ranker never
# queues behind the larger skill one); a request need not wait for one (see ``wait=False``).
_BUILDER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="shetu-ranker-build")


class RankerNotReadyError(RuntimeError):
    """The ranker's label embeddings are still being built in the background."""

    def __init__(self, kind: str) -> None:
        what, done, total = BUILD_PROGRESS.get(kind, ("loading", 0, 0))
        pct = f" ({what}: {done:,} of {total:,})" if total else ""
        super().__init__(f"the ESCO {kind} index is being built{pct}; try again shortly")
        self.kind = kind


def _build(kind: str, settings: Any, model: str, key: tuple[str, str, str, str]
           ) -> ConceptRanker:
    try:
        tax = load_taxonomy(Path(settings.esco_dir), Path(settings.cache_dir))
        enc = get_encoder(model)
        build = build_occupation_ranker if kind == "occupations" else build_skill_ranker
        ranker = build(tax, enc, Path(settings.cache_dir))
        with _RANKERS_LOCK:
            _RANKERS[key] = ranker
        return ranker
    finally:
        with _RANKERS_LOCK:
            _BUILDS.pop(key, None)
        BUILD_PROGRESS.pop(kind, None)


def _get_ranker(kind: str, settings: Any, model: str | None, wait: bool = True
                ) -> ConceptRanker:
    model = model or settings.model
    cache_dir = Path(settings.cache_dir)
    key = (kind, str(settings.esco_dir), str(cache_dir), model)
    with _RANKERS_LOCK:
        ranker = _RANKERS.get(key)
        if ranker is not None:
            return ranker
        fut = _BUILDS.get(key)
        if fut is None:
            fut = _BUILDER.submit(_build, kind, settings, model, key)
            _BUILDS[key] = fut
    if not wait and not fut.done():
        raise RankerNotReadyError(kind)
    return fut.result()


def get_occupation_ranker(settings: Any, model: str | None = None, *,
                          wait: bool = True) -> ConceptRanker:
    """Return the process-wide occupation ranker for ``settings`` (esco_dir, cache_dir, model).

    Built once in a background thread (embeddings cached on disk); with ``wait=False`` a call
    made while it is being built raises :class:`RankerNotReadyError` instead of waiting.
    """
    ranker = _get_ranker("occupations", settings, model, wait)
    ranker.reranker = second_stage(settings)
    return ranker


def second_stage(settings: Any) -> Any:
    """Return the active cross-encoder re-ranker for ``settings.var_dir``, or None.

    Loaded once per artefact; one that cannot be loaded (no onnxruntime, a broken file) is
    logged once and the first stage serves alone.
    """
    var_dir = getattr(settings, "var_dir", None)
    if var_dir is None:
        return None
    from matcher.models import active_cross_encoder

    d = active_cross_encoder(var_dir)
    if d is None:
        return None
    key = str(d)
    with _RANKERS_LOCK:
        if key in _CROSS:
            return _CROSS[key]
    try:
        from matcher.cross_encoder import load_reranker

        loaded: Any = load_reranker(d)
    except (ImportError, OSError, ValueError, KeyError) as exc:
        log.warning("cross-encoder %s not loaded (%s); occupations use the first stage", d, exc)
        loaded = None
    with _RANKERS_LOCK:
        _CROSS[key] = loaded
    return loaded


def get_skill_ranker(settings: Any, model: str | None = None, *,
                     wait: bool = True) -> ConceptRanker:
    """Return the process-wide skill ranker for ``settings`` (see get_occupation_ranker)."""
    return _get_ranker("skills", settings, model, wait)


def warm_rankers(settings: Any) -> None:
    """Start building both rankers in the background (returns at once)."""
    for kind in ("occupations", "skills"):
        try:
            _get_ranker(kind, settings, None, wait=False)
        except RankerNotReadyError:
            pass


def get_vacancy_skills(settings: Any, encoder_name: str) -> VacancySkills | None:
    """Return the fitted vacancy evidence (``var/models/vacancy-skills``), or None.

    None when nothing was fitted, when the artefact cannot be read (logged once) or when it was
    embedded by another encoder than ``encoder_name`` (its vectors would not compare). Re-read
    when the artefact is written again.
    """
    var_dir = getattr(settings, "var_dir", None)
    if var_dir is None:
        return None
    from matcher.models import models_dir

    d = models_dir(var_dir) / ARTEFACT
    try:
        st = (d / "meta.json").stat()
    except OSError:
        return None
    stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
    key = str(d)
    with _RANKERS_LOCK:
        hit = _VACANCIES.get(key)
    if hit is None or hit[0] != stamp:
        try:
            loaded: VacancySkills | None = VacancySkills.load(d)
        except VacancySkillsError as exc:
            log.warning("%s; skill suggestions go without vacancy evidence", exc)
            loaded = None
        with _RANKERS_LOCK:
            _VACANCIES[key] = hit = (stamp, loaded)
    found = hit[1]
    if found is not None and found.model != encoder_name:
        with _RANKERS_LOCK:
            warn = (key, encoder_name) not in _WARNED
            _WARNED.add((key, encoder_name))
        if warn:
            log.warning("vacancy evidence %s was embedded by %s, the skill ranker uses %s: not "
                        "used (run `shetu train vacancy-skills` again)", d, found.model,
                        encoder_name)
        return None
    return found


def suggest_concepts(text: Any, occupations: ConceptRanker, skills: ConceptRanker,
                     tax: Taxonomy, *, top_occupations: int = 3, top_skills: int = 10,
                     lang: str | None = None, vacancies: VacancySkills | None = None
                     ) -> dict[str, list[dict]]:
    """Suggest ESCO occupations and skills, with scores, for a record given only as text.

    Occupations are the occupation ranker's (scores 0..1). Skills are
    :func:`matcher.job_skills.fuse_job_skills` — the text's own skill matches, the preferred
    labels, its occupations' essential and optional skills and, with ``vacancies``, what
    vacancies with similar titles ask for — the fusion ``shetu eval job2skill`` measures; a
    skill's score is its fused score relative to the best suggestion (1.0). A text in which
    neither an occupation nor a skill reaches the rankers' minimum score gets no skills.
    """
    from matcher.bm25 import tokenize
    from matcher.job_skills import fuse_job_skills, occupation_skills

    t_occ, t_sk = occupations.prepare(text, lang), skills.prepare(text, lang)
    if not tokenize(t_occ) or not tokenize(t_sk):
        return {"occupations": [], "skills": []}
    occ_scores = occupations.score_matrix([t_occ])
    occ = occupations.top(occ_scores[0], top_occupations)
    direct = skills.score_matrix([t_sk])
    if not occ and not skills.top(direct[0], 1):
        return {"occupations": occ, "skills": []}
    try:
        fused = fuse_job_skills([t_sk], direct, occ_scores, skills,
                                occupation_skills(occupations, skills, tax), vacancies)[0]
    except VacancySkillsError as exc:  # e.g. fitted with vectors of another size
        log.warning("%s; skill suggestions go without vacancy evidence", exc)
        fused = fuse_job_skills([t_sk], direct, occ_scores, skills,
                                occupation_skills(occupations, skills, tax), None)[0]
    k = max(0, min(top_skills, len(fused)))
    best = np.argsort(-fused, kind="stable")[:k]
    top_value = float(fused[best[0]]) if k else 0.0
    return {"occupations": occ,
            "skills": [{"uri": skills.concepts[j].uri, "label": skills.concepts[j].label,
                        "score": round(float(fused[j]) / top_value, 4) if top_value > 0 else 0.0}
                       for j in best]}
