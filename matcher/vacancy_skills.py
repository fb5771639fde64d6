"""Skills that real vacancies with a similar title ask for.

A job title says less than the vacancy behind it, but vacancies with similar titles ask for
similar skills — including the ones no taxonomy lists under the occupation ("work in shifts",
"lift heavy weights", "use microsoft office"). :class:`VacancySkills` keeps, for each vacancy
title of a labelled set (title → ESCO skills, e.g. TechWolf's vacancy titles with the skills its
model extracted from each vacancy text), the title's embedding and its skill set. For a new
title it takes the ``k`` most similar vacancy titles (cosine) and averages their skill sets with
softmax weights at temperature ``temp``: a skill's score is the weighted share of similar
vacancies that ask for it, 0..1, plus a small share (``prior_weight``) of how often the skill is
asked for at all. ``k`` = 40 and ``temp`` = 0.1 were chosen on a dev split of TechWolf titles
outside the evaluated sample (docs/quality.md, "job → skills").

The evidence is only as broad as the vacancies it was fitted on (TechWolf's are US job-board
titles): for a title unlike all of them the neighbours are weak, so callers fuse these scores
with the taxonomy-based ones rather than replacing them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

log = logging.getLogger(__name__)

DEFAULT_K = 40
DEFAULT_TEMP = 0.1
PRIOR_WEIGHT = 1e-3
ARTEFACT = "vacancy-skills"  # var/models/<ARTEFACT>/{vectors.npy, labels.npz, meta.json}


class VacancySkillsError(ValueError):
    """The labelled vacancies or a saved artefact cannot be used (message says why)."""


@dataclass
class VacancySkills:
    """Title embeddings and skill sets of labelled vacancies (see the module docstring)."""

    title_vecs: np.ndarray  # (n, d) float32, unit length
    labels: sparse.csr_matrix  # (n, len(skill_uris)) 0/1
    skill_uris: list[str]
    model: str
    source: str = ""
    k: int = DEFAULT_K
    temp: float = DEFAULT_TEMP

    def __post_init__(self) -> None:
        if self.title_vecs.ndim != 2 or not np.isfinite(self.title_vecs).all():
            raise VacancySkillsError(f"title vectors must be a finite 2-d array, not of shape "
                                     f"{self.title_vecs.shape}")
        n = self.title_vecs.shape[0]
        if n == 0:
            raise VacancySkillsError("no labelled vacancy titles")
        if self.labels.shape != (n, len(self.skill_uris)):
            raise VacancySkillsError(f"labels {self.labels.shape} do not match {n} titles × "
                                     f"{len(self.skill_uris)} skills")
        self.k = max(1, min(int(self.k), n))
        if not self.temp > 0:
            raise VacancySkillsError(f"temp must be > 0, not {self.temp}")
        self.prior = np.asarray(self.labels.mean(axis=0), dtype=np.float32).ravel()
        # (key, the uri_index kept alive so its id is not reused, source cols, target cols)
        self._columns: tuple[Any, Any, np.ndarray, np.ndarray] | None = None

    @property
    def size(self) -> int:
        """Number of labelled vacancy titles."""
        return int(self.title_vecs.shape[0])

    @classmethod
    def fit(cls, titles: Sequence[str], skills: Sequence[Sequence[str]], encoder: Any,
            skill_uris: Sequence[str], *, source: str = "", k: int = DEFAULT_K,
            temp: float = DEFAULT_TEMP) -> VacancySkills:
        """Embed prepared ``titles``; ``skills[i]`` are the skill URIs of title *i*.

        URIs outside ``skill_uris`` are ignored; a title with none left is dropped.
        """
        if len(titles) != len(skills):
            raise VacancySkillsError(f"{len(titles)} titles but {len(skills)} skill lists")
        col = {u: j for j, u in enumerate(skill_uris)}
        keep: list[int] = []
        rows: list[int] = []
        cols: list[int] = []
        for i, (t, ss) in enumerate(zip(titles, skills, strict=True)):
            js = sorted({col[u] for u in ss if u in col})
            if not t.strip() or not js:
                continue
            rows.extend([len(keep)] * len(js))
            cols.extend(js)
            keep.append(i)
        if not keep:
            raise VacancySkillsError("no title has a known skill")
        vecs = np.asarray(encoder.encode([titles[i] for i in keep]), dtype=np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-12
        labels = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                                   shape=(len(keep), len(skill_uris)))
        return cls(vecs, labels, list(skill_uris), getattr(encoder, "name", ""), source, k,
                   temp)

    def similarities(self, query_vecs: np.ndarray) -> np.ndarray:
        """Return the (n_queries × n_titles) cosines of query vectors to the vacancy titles."""
        q = np.asarray(query_vecs, dtype=np.float32)
        if q.ndim != 2 or q.shape[1] != self.title_vecs.shape[1]:
            raise VacancySkillsError(f"query vectors of shape {q.shape} do not match "
                                     f"{self.title_vecs.shape[1]}-dim titles")
        return q @ self.title_vecs.T

    def scores(self, query_vecs: np.ndarray) -> np.ndarray:
        """Return (n_queries × n_skills) scores in ``skill_uris`` order (0..1 + prior share)."""
        return self._scores(self.similarities(query_vecs))

    def _scores(self, sims: np.ndarray) -> np.ndarray:
        k = self.k
        rows = np.arange(len(sims))[:, None]
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        v = sims[rows, top]
        w = np.exp((v - v.max(axis=1, keepdims=True)) / self.temp)
        w /= w.sum(axis=1, keepdims=True)
        weights = sparse.csr_matrix((w.ravel(), (np.repeat(np.arange(len(sims)), top.shape[1]),
                                                  top.ravel())), shape=sims.shape)
        out = np.asarray((weights @ self.labels).todense(), dtype=np.float32)
        return out + PRIOR_WEIGHT * self.prior

    def nearest(self, query_vecs: np.ndarray) -> np.ndarray:
        """Return each query's cosine to its most similar vacancy title (how much to trust it)."""
        return self.similarities(query_vecs).max(axis=1)

    def columns_for(self, uri_index: Mapping[str, int], n: int) -> tuple[np.ndarray, np.ndarray]:
        """Return (source columns, target columns) mapping ``skill_uris`` onto a ranker's order
        (computed once per ranker order: suggestions call this on every request)."""
        key = (id(uri_index), n)
        if self._columns is None or self._columns[0] != key:
            pairs = [(j, uri_index[u]) for j, u in enumerate(self.skill_uris)
                     if u in uri_index and uri_index[u] < n]
            src = np.asarray([a for a, _ in pairs], dtype=np.int64)
            dst = np.asarray([b for _, b in pairs], dtype=np.int64)
            self._columns = (key, uri_index, src, dst)
        return self._columns[2], self._columns[3]

    def scores_aligned(self, query_vecs: np.ndarray, uri_index: Mapping[str, int], n: int
                       ) -> tuple[np.ndarray, np.ndarray]:
        """Return (scores as an (n_queries × n) matrix in a skill ranker's concept order, each
        query's cosine to its nearest vacancy title) from one similarity computation."""
        sims = self.similarities(query_vecs)
        s = self._scores(sims)
        out = np.zeros((s.shape[0], n), dtype=np.float32)
        src, dst = self.columns_for(uri_index, n)
        out[:, dst] = s[:, src]
        return out, sims.max(axis=1)

    # ---------------------------------------------------------------------------------------
    # Saving and loading: var/models/vacancy-skills/
    # ---------------------------------------------------------------------------------------

    def save(self, directory: Path | str) -> Path:
        """Write the artefact to ``directory``, replacing one that is there.

        The files are written and flushed to disk in a hidden temporary directory beside it,
        which is then renamed into place (the old one renamed away first and removed after): a
        reader sees the old or the new artefact whole, or — in the instant between the two
        renames — none, and then goes without vacancy evidence for that call. Two saves at
        once each use their own temporary directory; the later rename wins.
        """
        import os
        import tempfile
        from datetime import UTC, datetime

        d = Path(directory)
        d.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{d.name}-", suffix=".partial", dir=d.parent))
        try:
            np.save(tmp / "vectors.npy", self.title_vecs)
            sparse.save_npz(tmp / "labels.npz", self.labels)
            (tmp / "meta.json").write_text(json.dumps({
                "kind": ARTEFACT, "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "summary": {"titles": self.size, "skills asked for": int(self.labels.nnz),
                            "source": self.source, "encoder": self.model},
                "model": self.model, "source": self.source, "k": self.k, "temp": self.temp,
                "titles": self.size, "skill_uris": self.skill_uris}, ensure_ascii=False),
                encoding="utf-8")
            for f in tmp.iterdir():
                with open(f, "rb") as fh:
                    os.fsync(fh.fileno())
            old = None
            if d.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{d.name}-", suffix=".old", dir=d.parent))
                os.replace(d, old / "artefact")
            os.replace(tmp, d)
        except BaseException:
            _rmtree(tmp)
            raise
        if old is not None:
            _rmtree(old)
        return d

    @classmethod
    def load(cls, directory: Path | str) -> VacancySkills:
        """Read an artefact written by :meth:`save` (:class:`VacancySkillsError` if unusable)."""
        d = Path(directory)
        try:
            meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
            vecs = np.load(d / "vectors.npy", allow_pickle=False)
            labels = sparse.load_npz(d / "labels.npz").tocsr()
            return cls(vecs.astype(np.float32), labels, list(meta["skill_uris"]),
                       str(meta.get("model", "")), str(meta.get("source", "")),
                       int(meta.get("k", DEFAULT_K)), float(meta.get("temp", DEFAULT_TEMP)))
        except VacancySkillsError as exc:
            raise VacancySkillsError(f"{d}: not a usable vacancy-skills artefact ({exc})") from exc
        except Exception as exc:  # noqa: BLE001 - numpy/scipy/zipfile raise many kinds on bad files
            raise VacancySkillsError(f"{d}: not a usable vacancy-skills artefact "
                                     f"({type(exc).__name__}: {exc})") from exc


def _rmtree(p: Path) -> None:
    import shutil

    shutil.rmtree(p, ignore_errors=True)


def read_labelled_titles(path: Path | str, skill_uris_by_label: Mapping[str, Sequence[str]]
                         ) -> list[tuple[str, list[str]]]:
    """Read a JSON-lines file of ``{"title": str, "skills": [ESCO preferred labels]}`` rows.

    Labels are matched to URIs case-insensitively (as ``shetu eval job2skill`` does); rows whose
    labels match nothing are kept with an empty list (callers decide). A malformed line raises
    :class:`VacancySkillsError` naming it.
    """
    import gzip

    p = Path(path)
    opener: Any = gzip.open if p.suffix == ".gz" else open
    out: list[tuple[str, list[str]]] = []
    n = 0
    try:
        with opener(p, "rt", encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                _read_row(p, n, line, skill_uris_by_label, out)
    except (UnicodeDecodeError, EOFError, OSError) as exc:
        raise VacancySkillsError(f"{p}:{n + 1}: cannot be read ({exc})") from exc
    return out


def _read_row(p: Path, n: int, line: str, skill_uris_by_label: Mapping[str, Sequence[str]],
              out: list[tuple[str, list[str]]]) -> None:
    """Append line ``n`` of ``p`` as (title, URIs) to ``out``; blank lines are skipped."""
    if not line.strip():
        return
    try:
        r = json.loads(line)
        title, labels = r["title"], r["skills"]
        if not isinstance(title, str) or not isinstance(labels, list):
            raise TypeError("title must be text and skills a list")
    except (ValueError, KeyError, TypeError) as exc:
        raise VacancySkillsError(f"{p}:{n}: {exc}") from exc
    uris = sorted({u for s in labels if isinstance(s, str)
                   for u in skill_uris_by_label.get(s.casefold(), ())})
    out.append((title, uris))
