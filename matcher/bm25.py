"""Small lexical retrieval helpers: a tokeniser, an Okapi BM25 index and an idf-overlap index.

Both indexes are sparse (scipy) and score a batch of queries against every document in one
matrix product, so ranking thousands of short labels stays in milliseconds. No I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

STOPWORDS = frozenset(
    """a an and are as at be been being but by for from had has have he her hers him his i if
    in into is it its me my mine of on or our ours she so than that the their them then there
    these they this those to up us was we were what when where which while who whom why will
    with you your yours am do does did done can could would should may might must shall not no
    nor very also just over under about after before during per via etc all any each few more
    most other some such only own same too out off again further once here both""".split()
)

# Longest first: the first matching suffix is stripped (a deliberately light stemmer).
_SUFFIXES = (("ies", "y"), ("ing", ""), ("ers", ""), ("er", ""), ("ed", ""), ("es", ""),
             ("s", ""))


def stem(word: str) -> str:
    """Return a light stem: plural and agent/gerund suffixes stripped from long ASCII words."""
    if len(word) <= 4 or not word.isascii() or word.isdigit():
        return word
    if word.endswith(("ss", "us", "is")):
        return word
    for suf, rep in _SUFFIXES:
        if word.endswith(suf) and len(word) - len(suf) >= 3:
            if suf == "es" and not word.endswith(("ches", "shes", "xes", "sses", "zes")):
                return word[:-1]
            return word[: -len(suf)] + rep
    return word


def tokenize(text: str, *, max_chars: int = 20000) -> list[str]:
    """Lower-case, NFKC-normalise and split ``text`` into stemmed tokens, stopwords removed."""
    if not text:
        return []
    text = unicodedata.normalize("NFKC", text[:max_chars]).lower()
    return [stem(w) for w in _WORD.findall(text) if w not in STOPWORDS]


class _Vocab:
    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def ids(self, tokens: Iterable[str], *, grow: bool) -> list[int]:
        out = []
        for t in tokens:
            i = self.index.get(t)
            if i is None and grow:
                i = self.index[t] = len(self.index)
            if i is not None:
                out.append(i)
        return out


def _csr(rows: Sequence[Sequence[int]], n_cols: int, *, binary: bool) -> sparse.csr_matrix:
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    indices = np.fromiter((i for r in rows for i in r), dtype=np.int32, count=int(indptr[-1]))
    data = np.ones(len(indices), dtype=np.float32)
    m = sparse.csr_matrix((data, indices, indptr), shape=(len(rows), n_cols))
    m.sum_duplicates()
    if binary:
        m.data[:] = 1.0
    return m


class BM25Index:
    """Okapi BM25 over a fixed list of documents (k1=1.2, b=0.75 by default)."""

    def __init__(self, docs: Sequence[str], *, k1: float = 1.2, b: float = 0.75) -> None:
        self.vocab = _Vocab()
        rows = [self.vocab.ids(tokenize(d), grow=True) for d in docs]
        n_terms = len(self.vocab.index)
        tf = _csr(rows, n_terms, binary=False)
        n_docs = max(len(docs), 1)
        df = np.bincount(tf.indices, minlength=n_terms).astype(np.float32)
        self.idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        dl = np.asarray(tf.sum(axis=1)).ravel()
        avgdl = float(dl.mean()) if len(dl) and dl.mean() > 0 else 1.0
        tf = tf.tocoo()
        denom = tf.data + k1 * (1 - b + b * dl[tf.row] / avgdl)
        w = tf.data * (k1 + 1) / denom * self.idf[tf.col]
        self.weights = sparse.csr_matrix((w.astype(np.float32), (tf.row, tf.col)),
                                         shape=(len(docs), n_terms)).T.tocsr()  # terms × docs
        self.n_docs = len(docs)

    def query_matrix(self, queries: Sequence[str]) -> sparse.csr_matrix:
        """Return the (n_queries × n_terms) matrix of query term counts (unknown terms dropped)."""
        rows = [self.vocab.ids(tokenize(q), grow=False) for q in queries]
        return _csr(rows, len(self.vocab.index), binary=False)

    def score(self, queries: Sequence[str]) -> np.ndarray:
        """Return a dense (n_queries × n_docs) float32 array of BM25 scores."""
        if not queries:
            return np.zeros((0, self.n_docs), dtype=np.float32)
        q = self.query_matrix(queries)
        return np.asarray((q @ self.weights).todense(), dtype=np.float32)


class OverlapIndex:
    """Idf-weighted token overlap, reported as coverage of the document and of the query.

    ``score`` returns ``(doc_cov, query_cov)``: the share of each document's idf mass found in the
    query, and the share of the query's idf mass found in the document (a query token the index
    has never seen counts in the query's mass with the highest idf, so garbage scores low).
    """

    def __init__(self, docs: Sequence[str], *, idf_from: Sequence[str] | None = None) -> None:
        self.vocab = _Vocab()
        rows = [sorted(set(self.vocab.ids(tokenize(d), grow=True))) for d in docs]
        n_terms = len(self.vocab.index)
        self.binary = _csr(rows, n_terms, binary=True)
        basis = self.binary
        if idf_from is not None:
            basis = _csr([sorted(set(self.vocab.ids(tokenize(d), grow=False))) for d in idf_from],
                         n_terms, binary=True)
        n = max(basis.shape[0], 1)
        df = np.bincount(basis.indices, minlength=n_terms).astype(np.float32)
        self.idf = np.log((n + 1) / (df + 0.5)).astype(np.float32)
        self.idf = np.maximum(self.idf, 0.05)
        self.max_idf = float(self.idf.max()) if n_terms else 1.0
        self.doc_mass = np.asarray(self.binary @ self.idf).ravel().astype(np.float32)
        self.doc_mass[self.doc_mass == 0] = 1.0
        self.weighted_t = self.binary.multiply(self.idf[None, :]).T.tocsr()  # terms × docs
        self.n_docs = len(docs)

    def score(self, queries: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``(doc_cov, query_cov, n_query_tokens)`` for a batch of queries."""
        rows, mass, ntok = [], [], []
        for q in queries:
            toks = set(tokenize(q))
            ids = sorted(set(self.vocab.ids(toks, grow=False)))
            unknown = len(toks) - len(ids)
            rows.append(ids)
            mass.append(float(self.idf[ids].sum()) + unknown * self.max_idf)
            ntok.append(len(toks))
        qm = _csr(rows, len(self.vocab.index), binary=True)
        overlap = np.asarray((qm @ self.weighted_t).todense(), dtype=np.float32)
        qmass = np.maximum(np.asarray(mass, dtype=np.float32), 1e-6)[:, None]
        return overlap / self.doc_mass[None, :], overlap / qmass, np.asarray(ntok)
