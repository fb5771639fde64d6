"""Normalise free text (a job title, a job ad, a worker's self-description) to ESCO concepts.

``ConceptRanker`` ranks ESCO occupations or skills for a query with a hybrid of four signals,
each already on a 0..1 scale so that one fixed linear fusion is calibrated across queries:

* ``dense_label``: the best cosine between the query and any of a concept's labels (preferred +
  alternative labels each embedded on its own, "max-sim"), so a rare synonym counts fully;
* ``dense_doc``: cosine between the query and the concept's description text (label, description,
  essential skills), which carries long queries such as job ads and self-descriptions;
* ``lex_label``: idf-weighted token overlap with the best-matching label (geometric mean of the
  label's and the query's covered idf mass; for long queries mostly the label's coverage);
* ``lex_doc``: the share of the query's idf mass found in the concept's description text.

Queries are cleaned (:mod:`matcher.query_text`); Bangla, Banglish and mixed queries (detected,
or ``lang="bn"``) are put into English by :mod:`matcher.bangla` before ranking; misspelt words
are corrected against the concepts' own words (:mod:`matcher.spelling`). The first Bangla step
(``is_bangla``, ``translate_bangla``, ``BANGLA_LEXICON``, in :mod:`matcher.query_text`) stays
importable from here with ``clean_query`` and ``title_phrases``: it is the baseline that
``training.eval_bangla_v2`` compares with.

Label embeddings are computed once and cached under ``cache_dir`` in a file keyed on the model
name and a fingerprint of every text embedded, so a second start loads them in a second.
The process-wide rankers (built once in the background for a settings object) live in
:mod:`matcher.rankers`.
"""

from __future__ import annotations

import hashlib
import re
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from matcher.bangla import needs_bangla, to_english
from matcher.bm25 import OverlapIndex, tokenize
from matcher.encoder import TextEncoder
from matcher.query_text import (
    BANGLA_LEXICON,
    MAX_QUERY_CHARS,
    clean_query,
    is_bangla,
    query_head,
    title_phrases,
    translate_bangla,
)
from matcher.spelling import SpellFixer
from matcher.taxonomy import Taxonomy

__all__ = [
    "BANGLA_LEXICON", "BUILD_PROGRESS", "MAX_QUERY_CHARS", "Concept", "ConceptRanker",
    "FusionWeights", "OCCUPATION_WEIGHTS", "SKILL_WEIGHTS", "SpellFixer", "build_occupation_ranker",
    "build_skill_ranker", "clean_query", "is_bangla", "occupation_concepts", "skill_concepts",
    "title_phrases", "translate_bangla",
]

CACHE_VERSION = "1"
MAX_DENSE_CHARS = 1500  # the encoder sees at most this much (MiniLM reads ~256 word pieces)
LONG_QUERY_TOKENS = 8


@dataclass(frozen=True, slots=True)
class Concept:
    """One rankable ESCO concept: identifiers, labels and a description text."""

    uri: str
    label: str
    alt_labels: tuple[str, ...] = ()
    doc: str = ""
    code: str = ""


@dataclass(frozen=True, slots=True)
class FusionWeights:
    """Linear fusion weights of the four 0..1 signals, and the score below which nothing shows."""

    dense_label: float = 0.45
    dense_doc: float = 0.2
    lex_label: float = 0.25
    lex_doc: float = 0.1
    min_score: float = 0.25


OCCUPATION_WEIGHTS = FusionWeights()
SKILL_WEIGHTS = FusionWeights(dense_label=0.6, dense_doc=0.0, lex_label=0.3, lex_doc=0.1)

# kind → (what, done, total) of the embedding run in progress, for "not ready" answers
# (matcher.rankers reads it).
BUILD_PROGRESS: dict[str, tuple[str, int, int]] = {}

# --------------------------------------------------------------------------------------------
# The ranker
# --------------------------------------------------------------------------------------------


def _fingerprint(parts: Iterable[str]) -> str:
    h = hashlib.sha1()
    for p in parts:
        h.update(p.encode("utf-8", errors="replace"))
        h.update(b"\x1f")
    return h.hexdigest()[:16]


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[-60:]


class ConceptRanker:
    """Rank a fixed set of ESCO concepts for free-text queries (hybrid dense + lexical)."""

    def __init__(self, kind: str, concepts: Sequence[Concept], encoder: TextEncoder, *,
                 cache_dir: Path | None = None, weights: FusionWeights | None = None,
                 doc_vectors: bool = True, batch_size: int = 64,
                 show_progress: bool = True) -> None:
        self.kind = kind
        self.concepts = list(concepts)
        self.encoder = encoder
        self.weights = weights or (OCCUPATION_WEIGHTS if kind == "occupations" else SKILL_WEIGHTS)
        self.batch_size = batch_size
        self.uri_index = {c.uri: i for i, c in enumerate(self.concepts)}
        entries: list[str] = []
        owner: list[int] = []
        self.entry_key: dict[tuple[int, str], int] = {}
        for i, c in enumerate(self.concepts):
            seen: set[str] = set()
            for lab in (c.label, *c.alt_labels):
                key = lab.strip().casefold()
                if not key or key in seen:
                    continue
                seen.add(key)
                self.entry_key[(i, key)] = len(entries)
                entries.append(lab.strip())
                owner.append(i)
        self.entries = entries
        self.entry_owner = np.asarray(owner, dtype=np.int64)
        self.starts = np.flatnonzero(np.r_[True, self.entry_owner[1:] != self.entry_owner[:-1]])
        self.doc_texts = [c.doc or c.label for c in self.concepts]
        self.use_doc_vectors = doc_vectors and self.weights.dense_doc > 0
        self.label_lex = OverlapIndex(entries)
        self.doc_lex = OverlapIndex(self.doc_texts)
        self._lock = threading.Lock()
        self._spell: SpellFixer | None = None
        # Optional second stage (matcher.cross_encoder.CrossReranker; set by matcher.rankers
        # from the active cross-encoder pointer): re-ranks each short query's top k.
        self.reranker: Any = None
        self._rerank_docs: list[str] | None = None
        self.label_vecs, self.doc_vecs = self._vectors(cache_dir, show_progress)

    @property
    def spell(self) -> SpellFixer:
        """Spelling corrector over the words of every label and description (built on first use)."""
        if self._spell is None:
            with self._lock:
                if self._spell is None:
                    self._spell = SpellFixer([*self.entries, *self.doc_texts])
        return self._spell

    # -- embeddings, cached on disk ---------------------------------------------------------
    def _vectors(self, cache_dir: Path | None, show_progress: bool
                 ) -> tuple[np.ndarray, np.ndarray | None]:
        name = getattr(self.encoder, "name", type(self.encoder).__name__)
        docs = self.doc_texts if self.use_doc_vectors else []
        key = _fingerprint([CACHE_VERSION, name, self.kind, *self.entries, "\x1e", *docs])
        path = Path(cache_dir) / f"{self.kind}-{_slug(name)}-{key}.npz" if cache_dir else None
        if path is not None and path.exists():
            try:
                with np.load(path) as z:
                    lab = z["labels"].astype(np.float32)
                    doc = z["docs"].astype(np.float32) if self.use_doc_vectors else None
                if lab.shape[0] == len(self.entries):
                    return lab, doc
            except (OSError, ValueError, KeyError):
                pass  # a damaged cache is rebuilt below
        lab = self._encode(self.entries, f"embedding {self.kind} labels", show_progress)
        doc = (self._encode(docs, f"embedding {self.kind} descriptions", show_progress)
               if self.use_doc_vectors else None)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, labels=lab.astype(np.float16),
                     docs=(doc if doc is not None else np.zeros((0, lab.shape[1]))).astype(
                         np.float16))
            tmp.replace(path)
        return lab, doc

    def _encode(self, texts: list[str], desc: str, show_progress: bool) -> np.ndarray:
        if len(texts) <= 2048:
            return self.encoder.encode(texts, batch_size=self.batch_size)
        from tqdm import tqdm

        chunk = 2048
        out = []
        with tqdm(total=len(texts), desc=desc, unit="text", file=sys.stderr,
                  disable=not show_progress) as bar:
            for s in range(0, len(texts), chunk):
                out.append(self.encoder.encode(texts[s:s + chunk], batch_size=self.batch_size))
                bar.update(len(texts[s:s + chunk]))
                BUILD_PROGRESS[self.kind] = (desc, min(s + chunk, len(texts)), len(texts))
        return np.vstack(out)

    # -- scoring ----------------------------------------------------------------------------
    def prepare(self, query: Any, lang: str | None = None) -> str:
        """Return the English text that is ranked for ``query`` (cleaned; Bangla translated)."""
        text = clean_query(query)
        if lang == "bn" or (lang is None and needs_bangla(text)):
            text = to_english(text)  # Bangla script, loanwords, Banglish, mixed (matcher/bangla)
        return self.spell.fix(text)

    def signals(self, texts: Sequence[str], *,
                exclude: Sequence[int | None] | None = None) -> dict[str, np.ndarray]:
        """Return the four (n_queries × n_concepts) 0..1 signals for prepared query texts.

        ``exclude`` optionally names, per query, one label entry to ignore (leave-one-out).
        """
        n = len(texts)
        dense_in = [t[:MAX_DENSE_CHARS] for t in texts]
        qv = self.encoder.encode(dense_in, batch_size=self.batch_size)
        label_doc_cov, label_q_cov, ntok = self.label_lex.score(texts)
        sim = qv @ self.label_vecs.T
        long_rows = [i for i in range(n) if ntok[i] > LONG_QUERY_TOKENS]
        if long_rows:
            hv = self.encoder.encode([query_head(texts[i]) for i in long_rows],
                                     batch_size=self.batch_size)
            sim[long_rows] = np.maximum(sim[long_rows], hv @ self.label_vecs.T)
        beta = np.minimum(1.0, LONG_QUERY_TOKENS / np.maximum(ntok, 1))[:, None]
        lex = np.sqrt(label_doc_cov * np.power(label_q_cov, beta))
        # Where the text names its job ("I worked as a X in ...", "Position: X"), that phrase is
        # matched against the labels on its own, as a title would be.
        phrases = [(i, p) for i in range(n) for p in title_phrases(texts[i])
                   if p.casefold() != texts[i].strip().casefold()]
        if phrases:
            pv = self.encoder.encode([p for _, p in phrases], batch_size=self.batch_size)
            p_doc, p_q, _ = self.label_lex.score([p for _, p in phrases])
            p_sim = pv @ self.label_vecs.T
            p_lex = np.sqrt(p_doc * p_q)
            for r, (i, _) in enumerate(phrases):
                np.maximum(sim[i], p_sim[r], out=sim[i])
                np.maximum(lex[i], p_lex[r], out=lex[i])
        if exclude is not None:
            for i, e in enumerate(exclude):
                if e is not None:
                    sim[i, e] = -1.0
                    lex[i, e] = 0.0
        dense_label = np.maximum.reduceat(sim, self.starts, axis=1)
        lex_label = np.maximum.reduceat(lex, self.starts, axis=1)
        _, doc_q_cov, _ = self.doc_lex.score(texts)
        if self.doc_vecs is not None:
            dense_doc = qv @ self.doc_vecs.T
        else:
            dense_doc = np.zeros_like(dense_label)
        empty = np.asarray([not t.strip() or not tokenize(t) for t in texts])
        out = {"dense_label": np.clip(dense_label, 0, 1), "dense_doc": np.clip(dense_doc, 0, 1),
               "lex_label": lex_label, "lex_doc": doc_q_cov}
        for v in out.values():
            v[empty] = 0.0
        return out

    def fuse(self, sig: dict[str, np.ndarray], weights: FusionWeights | None = None
             ) -> np.ndarray:
        """Return the fused (n_queries × n_concepts) score from :meth:`signals`."""
        w = weights or self.weights
        return (w.dense_label * sig["dense_label"] + w.dense_doc * sig["dense_doc"]
                + w.lex_label * sig["lex_label"] + w.lex_doc * sig["lex_doc"])

    def score_matrix(self, texts: Sequence[str], *, exclude: Sequence[int | None] | None = None,
                     batch: int = 256, rerank: bool = True) -> np.ndarray:
        """Return fused scores for prepared texts, computed in batches; with a second stage
        attached (``self.reranker``) and ``rerank``, each short query's top k re-ranked."""
        out = np.zeros((len(texts), len(self.concepts)), dtype=np.float32)
        for s in range(0, len(texts), batch):
            ex = exclude[s:s + batch] if exclude is not None else None
            out[s:s + batch] = self.fuse(self.signals(texts[s:s + batch], exclude=ex))
        if rerank and self.reranker is not None:
            if self._rerank_docs is None:
                from matcher.cross_encoder import rerank_doc

                self._rerank_docs = [rerank_doc(c) for c in self.concepts]
            out = self.reranker.rerank(texts, self._rerank_docs, out)
        return out

    def _results(self, scores: np.ndarray, top_k: int) -> list[dict]:
        k = max(0, min(int(top_k), len(self.concepts)))
        if k == 0:
            return []
        idx = np.argpartition(-scores, k - 1)[:k]
        idx = idx[np.argsort(-scores[idx], kind="stable")]
        out = []
        for i in idx:
            sc = float(scores[i])
            if sc < self.weights.min_score:
                break
            c = self.concepts[i]
            item = {"uri": c.uri, "label": c.label, "score": round(sc, 4)}
            if c.code:
                item = {"uri": c.uri, "code": c.code, "label": c.label, "score": round(sc, 4)}
            out.append(item)
        return out

    def top(self, scores: np.ndarray, top_k: int) -> list[dict]:
        """Return the result list (best first, above ``min_score``) for one row of scores."""
        return self._results(scores, top_k)

    def rank(self, query: Any, top_k: int = 10, lang: str | None = None) -> list[dict]:
        """Return up to ``top_k`` concepts for one query, best first (``[]`` for empty text)."""
        return self.rank_many([query], top_k=top_k, lang=lang)[0]

    def rank_many(self, queries: Iterable[Any], top_k: int = 10, lang: str | None = None,
                  *, batch: int = 128) -> list[list[dict]]:
        """Rank many queries; one result list per query, in input order."""
        texts = [self.prepare(q, lang) for q in queries]
        results: list[list[dict]] = []
        for s in range(0, len(texts), batch):
            chunk = texts[s:s + batch]
            live = [i for i, t in enumerate(chunk) if tokenize(t)]
            if not live:
                results.extend([] for _ in chunk)
                continue
            scores = self.score_matrix([chunk[i] for i in live])
            row = {i: r for r, i in enumerate(live)}
            for i in range(len(chunk)):
                results.append(self._results(scores[row[i]], top_k) if i in row else [])
        return results


# --------------------------------------------------------------------------------------------
# Building rankers from the taxonomy
# --------------------------------------------------------------------------------------------


def occupation_concepts(tax: Taxonomy, *, skills_in_doc: int = 8,
                        description_words: int = 45) -> list[Concept]:
    """Return one :class:`Concept` per ESCO occupation (doc: label, description, top skills)."""
    out = []
    for o in tax.occupations.values():
        desc = " ".join(o.description.split()[:description_words])
        skills = ", ".join(tax.skill_label(s) for s in tax.essential.get(o.uri, ())[:skills_in_doc])
        doc = ". ".join(p for p in (o.label, desc, skills) if p)
        out.append(Concept(uri=o.uri, label=o.label, alt_labels=o.alt_labels, doc=doc,
                           code=o.code))
    return out


def skill_concepts(tax: Taxonomy, *, max_alt: int = 6, description_words: int = 30
                   ) -> list[Concept]:
    """Return one :class:`Concept` per ESCO skill (up to ``max_alt`` alternative labels)."""
    out = []
    for s in tax.skills.values():
        desc = " ".join(s.description.split()[:description_words])
        out.append(Concept(uri=s.uri, label=s.label, alt_labels=s.alt_labels[:max_alt],
                           doc=f"{s.label}. {desc}"))
    return out


def build_occupation_ranker(tax: Taxonomy, encoder: TextEncoder, cache_dir: Path | None = None,
                            **kw: Any) -> ConceptRanker:
    """Return a :class:`ConceptRanker` over all ESCO occupations."""
    return ConceptRanker("occupations", occupation_concepts(tax), encoder,
                         cache_dir=cache_dir, **kw)


def build_skill_ranker(tax: Taxonomy, encoder: TextEncoder, cache_dir: Path | None = None,
                       **kw: Any) -> ConceptRanker:
    """Return a :class:`ConceptRanker` over all ESCO skills."""
    return ConceptRanker("skills", skill_concepts(tax), encoder, cache_dir=cache_dir, **kw)

