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

Bangla queries (auto-detected by script, or ``lang="bn"``) are translated word by word with a
small trade lexicon (:data:`BANGLA_LEXICON`) before ranking.

Label embeddings are computed once and cached under ``cache_dir`` in a file keyed on the model
name and a fingerprint of every text embedded, so a second start loads them in a second.
This module has no settings of its own: the factories take any object with ``esco_dir``,
``cache_dir`` and ``model`` attributes (e.g. ``registry.config.Settings``) without importing it.
"""

from __future__ import annotations

import hashlib
import re
import sys
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from matcher.bangla import needs_bangla, to_english
from matcher.bm25 import OverlapIndex, tokenize
from matcher.encoder import TextEncoder, get_encoder
from matcher.taxonomy import Taxonomy, load_taxonomy

CACHE_VERSION = "1"
MAX_QUERY_CHARS = 20000  # lexical signals read at most this much of a query
MAX_DENSE_CHARS = 1500  # the encoder sees at most this much (MiniLM reads ~256 word pieces)
HEAD_WORDS = 12  # long queries also embed their head (often the job title) on its own
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

# --------------------------------------------------------------------------------------------
# Input cleaning and Bangla
# --------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffd]+")
_BENGALI = re.compile(r"[\u0980-\u09ff]")
_SENTENCE = re.compile(r"(?<=[.!?;।|\n])\s+")

# Bangla → English trade lexicon for common migrant trades. Keys are word stems matched as
# substrings (Bangla inflects with suffixes: -এর, -ের, -কে, -তে, -রা ...); the longest key wins.
BANGLA_LEXICON: dict[str, str] = {
    # construction
    "রাজমিস্ত্রি": "mason bricklayer", "রাজমিস্ত্রী": "mason bricklayer",
    "ইট গাঁথ": "bricklayer brick laying", "ইটের গাঁথুনি": "bricklayer brick laying",
    "গাঁথুনি": "bricklaying masonry", "ইট": "brick", "প্লাস্টার": "plasterer plastering",
    "টাইলস": "tile fitter tiles", "টাইল": "tile fitter tiles", "মার্বেল": "marble tiles",
    "রড মিস্ত্রি": "steel fixer rebar", "রডমিস্ত্রি": "steel fixer rebar", "রড": "steel rebar",
    "ঢালাই": "concrete casting", "কংক্রিট": "concrete", "সিমেন্ট": "cement concrete",
    "ভারা": "scaffolder scaffolding", "স্ক্যাফোল্ড": "scaffolder scaffolding",
    "নির্মাণ": "construction building", "বিল্ডিং": "building construction",
    "দালান": "building construction", "কাঠমিস্ত্রি": "carpenter woodwork",
    "কাঠমিস্ত্রী": "carpenter woodwork", "কাঠের কাজ": "carpenter woodwork",
    "শাটারিং": "carpenter formwork shuttering", "ফার্নিচার": "furniture",
    "রং মিস্ত্রি": "construction painter", "রংমিস্ত্রি": "construction painter",
    "রং করা": "painting painter", "রঙ": "paint painter", "রং": "paint painter",
    "প্লাম্বার": "plumber plumbing", "পাইপ ফিটার": "pipe fitter", "পাইপ": "pipe plumbing",
    "স্যানিটারি": "plumber sanitary", "শ্রমিক": "labourer worker", "মজুর": "labourer",
    "জোগালি": "construction labourer helper", "জোগান": "construction labourer helper",
    # electrical, welding, mechanics
    "ইলেকট্রিশিয়ান": "electrician", "ইলেক্ট্রিশিয়ান": "electrician",
    "ইলেকট্রিক": "electrician electrical", "ইলেক্ট্রিক": "electrician electrical",
    "বিদ্যুৎ": "electrician electrical", "বিদ্যুত": "electrician electrical",
    "বৈদ্যুতিক": "electrician electrical", "ওয়্যারিং": "electrician electrical wiring",
    "তার": "wiring cable", "লাইট": "lighting", "সুইচ": "electrical switch",
    "ওয়েল্ডার": "welder welding", "ওয়েল্ডিং": "welder welding", "ওয়েলডিং": "welder welding",
    "ঝালাই": "welder welding", "ওয়েল্ড": "welder welding", "গ্যাস কাটার": "gas cutting welder",
    "মেকানিক": "mechanic", "মোটর মেকানিক": "motor vehicle mechanic",
    "এসি": "air conditioning refrigeration technician", "ফ্রিজ": "refrigeration technician",
    "মিস্ত্রি": "tradesman", "মিস্ত্রী": "tradesman", "ফিটার": "fitter",
    # cleaning, domestic, care
    "পরিচ্ছন্ন": "cleaner cleaning", "পরিষ্কার": "cleaner cleaning", "ক্লিনার": "cleaner",
    "ক্লিনিং": "cleaner cleaning", "ঝাড়ু": "cleaner sweeping", "মোছা": "cleaner mopping",
    "ঝাড়ুদার": "cleaner sweeper", "ধোয়া": "washing cleaning", "কাপড় ধো": "laundry washing",
    "গৃহকর্মী": "domestic housekeeper domestic cleaner", "গৃহকর্ম": "domestic housekeeper",
    "বাসাবাড়ি": "domestic housekeeper", "বাসায়": "domestic housekeeper home",
    "বাসার কাজ": "domestic housekeeper", "ঘরের কাজ": "domestic housekeeper",
    "হাউসকিপ": "housekeeper", "হাউজকিপ": "housekeeper",
    "রান্না": "cook cooking", "বাবুর্চি": "cook", "শেফ": "chef cook",
    "পরিচর্যা": "care worker caregiver", "সেবাযত্ন": "care worker caregiver",
    "দেখাশোনা": "care worker caregiver looking after", "সেবিকা": "nurse caregiver",
    "কেয়ারগিভার": "caregiver care worker", "কেয়ার গিভার": "caregiver care worker",
    "বয়স্ক": "elderly older adult care", "বৃদ্ধ": "elderly older adult care",
    "রোগী": "patient care", "শিশু": "child care", "বাচ্চা": "child care nanny",
    "আয়া": "nanny child care", "নার্স": "nurse",
    # driving, transport
    "ড্রাইভার": "driver", "ড্রাইভিং": "driver driving", "চালক": "driver",
    "গাড়ি চালা": "driver driving car", "গাড়ি": "car vehicle", "চালাই": "drive",
    "চালাতাম": "drive", "চালিয়ে": "drive driving",
    "হেভি": "heavy goods vehicle",
    "অসুস্থ": "sick patient care", "দেয়াল": "wall",
    "ট্রাক": "truck lorry driver", "লরি": "lorry truck driver",
    "বাস": "bus", "ট্যাক্সি": "taxi", "লাইসেন্স": "driving licence",
    "ফর্কলিফট": "forklift operator", "ক্রেন": "crane operator", "ডেলিভারি": "delivery",
    # garments, factory
    "গার্মেন্টস": "garment sewing machine operator", "গার্মেন্ট": "garment sewing machine operator",
    "পোশাক": "garment clothing", "সেলাই": "sewing machine operator",
    "দর্জি": "tailor", "টেইলার": "tailor", "অপারেটর": "operator",
    "সুইং": "sewing machine operator", "কাটিং মাস্টার": "garment cutter",
    "কাপড়": "textile fabric", "কারখানা": "factory", "ফ্যাক্টরি": "factory",
    "মেশিন": "machine",
    # agriculture, hospitality, other common trades
    "কৃষি": "agricultural farm worker", "কৃষক": "farmer", "খামার": "farm worker",
    "মালি": "gardener", "বাগান": "gardener garden", "হোটেল": "hotel",
    "রেস্টুরেন্ট": "restaurant", "ওয়েটার": "waiter", "দোকান": "shop sales assistant",
    "বিক্রয়": "sales assistant", "নিরাপত্তা": "security guard", "গার্ড": "guard",
    "দারোয়ান": "security guard", "মাছ": "fish", "জাহাজ": "ship", "জেলে": "fisher",
}
_LEXICON_KEYS = sorted(BANGLA_LEXICON, key=len, reverse=True)


def is_bangla(text: str) -> bool:
    """Return True when at least a fifth of the letters of ``text`` are Bengali script."""
    letters = [c for c in text[:2000] if c.isalpha()]
    if not letters:
        return False
    return sum(1 for c in letters if _BENGALI.match(c)) >= 0.2 * len(letters)


def translate_bangla(text: str) -> str:
    """Translate the trade words of a Bangla text to English with :data:`BANGLA_LEXICON`.

    Latin-script words in the text are kept; Bangla words the lexicon lacks are dropped, so a
    text with no known trade word translates to an empty string (and ranks nothing).
    """
    text = unicodedata.normalize("NFC", text)
    found: list[tuple[int, str]] = []
    for key in _LEXICON_KEYS:
        start = text.find(key)
        while start >= 0:
            found.append((start, BANGLA_LEXICON[key]))
            text = text[:start] + " " * len(key) + text[start + len(key):]
            start = text.find(key)
    latin = [(m.start(), m.group(0)) for m in re.finditer(r"[A-Za-z][A-Za-z\-]+", text)]
    parts = [w for _, w in sorted(found + latin)]
    return " ".join(dict.fromkeys(parts))


def clean_query(text: Any) -> str:
    """Return ``text`` as a clean single-line string (bytes decoded leniently, controls removed)."""
    if text is None:
        return ""
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="replace")
    text = str(text)[: MAX_QUERY_CHARS * 2]
    text = unicodedata.normalize("NFKC", text)
    return " ".join(_CONTROL.sub(" ", text).split())[:MAX_QUERY_CHARS]


def _head(text: str, words: int = HEAD_WORDS) -> str:
    first = _SENTENCE.split(text, maxsplit=1)[0]
    return " ".join(first.split()[:words])


# Where a self-description or a job ad names the job: "I worked as a X in ...", "I am an X",
# "experienced X", "Job title: X", "Position: X", "Wanted: X", "we are hiring a X", "X wanted".
# The phrase ends at punctuation or at a word that starts a place/time/extra clause.
_STOP = (r"(?=\s+(?:in|at|for|with|since|from|to|and|who|that|on|during|years?|yrs?)\b"
         r"|[.,;:!?()\n|/]|$)")
_TITLE_PATTERNS = [re.compile(p, re.IGNORECASE) for p in (
    r"\b(?:worked|work|working|employed|experience|served|job|jobs)\s+as\s+(?:an?\s+|the\s+)?"
    r"(?P<t>[^.,;:!?()\n]{3,60}?)" + _STOP,
    r"\bI\s*(?:am|'m|was)\s+(?:an?\s+)(?:experienced\s+|skilled\s+|professional\s+|trained\s+)?"
    r"(?P<t>[^.,;:!?()\n]{3,60}?)" + _STOP,
    r"\b(?:experienced|skilled|professional|qualified|certified)\s+(?P<t>[^.,;:!?()\n]{3,60}?)"
    + _STOP,
    r"\b(?:job\s*title|job|position|post|role|vacancy|wanted|hiring|trade|profession|occupation)"
    r"\s*[:\-–]\s*(?:an?\s+)?(?P<t>[^.,;:!?()\n]{3,60}?)" + _STOP,
    r"\b(?:looking\s+for|hiring|recruiting|seeking|need|needs)\s+(?:an?\s+|\d+\s+)"
    r"(?P<t>[^.,;:!?()\n]{3,60}?)" + _STOP,
    r"(?P<t>[^.,;:!?()\n]{3,60}?)\s+(?:wanted|needed|required)\b",
)]
_NOT_TITLE = frozenset("honest hard ready good able very willing looking interested".split())


def title_phrases(text: str, limit: int = 3) -> list[str]:
    """Return up to ``limit`` phrases where ``text`` names a job ("I worked as a X in ...")."""
    out: list[str] = []
    for pat in _TITLE_PATTERNS:
        for m in pat.finditer(text[:3000]):
            t = " ".join(m.group("t").split()[:8]).strip(" -–'\"")
            words = t.lower().split()
            if not words or words[0] in _NOT_TITLE or len(t) < 3 or t.lower() in (
                    o.lower() for o in out):
                continue
            out.append(t)
            if len(out) >= limit:
                return out
    return out


_ALPHA = re.compile(r"[A-Za-z]+")


class SpellFixer:
    """Correct one-edit misspellings of words against a vocabulary (SymSpell, distance 1).

    A word of 5+ letters that is not in the vocabulary is replaced by the most frequent
    vocabulary word that is one insertion, deletion, substitution or transposition away
    ("euqipment" → "equipment", "weldar" → "welder"); other words are left as they are.
    """

    MIN_LEN = 5

    def __init__(self, texts: Iterable[str]) -> None:
        freq: dict[str, int] = {}
        for t in texts:
            for w in _ALPHA.findall(t.lower()):
                if len(w) >= self.MIN_LEN - 1:
                    freq[w] = freq.get(w, 0) + 1
        self.freq = freq
        self.deletes: dict[str, list[str]] = {}
        for w in freq:
            for d in self._edits(w):
                self.deletes.setdefault(d, []).append(w)
        self._memo: dict[str, str] = {}

    @staticmethod
    def _edits(w: str) -> set[str]:
        return {w, *(w[:i] + w[i + 1:] for i in range(len(w)))}

    def word(self, w: str) -> str:
        lw = w.lower()
        if len(lw) < self.MIN_LEN or lw in self.freq:
            return w
        if lw not in self._memo:
            best, best_f = lw, 0
            for d in self._edits(lw):
                for cand in self.deletes.get(d, ()):
                    if abs(len(cand) - len(lw)) <= 1 and _one_edit(lw, cand) and \
                            self.freq[cand] > best_f:
                        best, best_f = cand, self.freq[cand]
            if len(self._memo) < 100_000:
                self._memo[lw] = best
        else:
            best = self._memo[lw]
        return w if best == lw else best

    def fix(self, text: str) -> str:
        """Return ``text`` with its misspelt words corrected (case of the rest kept)."""
        return _ALPHA.sub(lambda m: self.word(m.group(0)), text)


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one insertion, deletion, substitution or swap."""
    if a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    if len(a) > len(b):
        a, b = b, a
    return any(b[:i] + b[i + 1:] == a for i in range(len(b)))


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
            hv = self.encoder.encode([_head(texts[i]) for i in long_rows],
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
                     batch: int = 256) -> np.ndarray:
        """Return fused scores for prepared texts, computed in batches."""
        out = np.zeros((len(texts), len(self.concepts)), dtype=np.float32)
        for s in range(0, len(texts), batch):
            ex = exclude[s:s + batch] if exclude is not None else None
            out[s:s + batch] = self.fuse(self.signals(texts[s:s + batch], exclude=ex))
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


OccupationRanker = ConceptRanker
SkillRanker = ConceptRanker

_RANKERS: dict[tuple[str, str, str, str], ConceptRanker] = {}
_BUILDS: dict[tuple[str, str, str, str], Future[ConceptRanker]] = {}
_RANKERS_LOCK = threading.Lock()
# Builds run in the background (one thread per kind, so indexing's occupation ranker never
# queues behind the larger skill one); a request need not wait for one (see ``wait=False``).
_BUILDER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="shetu-ranker-build")
# kind → (what, done, total) of the embedding run in progress, for "not ready" answers.
BUILD_PROGRESS: dict[str, tuple[str, int, int]] = {}


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
    return _get_ranker("occupations", settings, model, wait)


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


def suggest_concepts(text: Any, occupations: ConceptRanker, skills: ConceptRanker,
                     tax: Taxonomy, *, top_occupations: int = 3, top_skills: int = 10,
                     lang: str | None = None) -> dict[str, list[dict]]:
    """Suggest ESCO occupations and skills, with scores, for a record given only as text.

    Skills combine the skill ranker's direct matches on the text with the essential skills of
    the suggested occupations (weighted by the occupation's score).
    """
    occ = occupations.rank(text, top_k=top_occupations, lang=lang)
    direct = {r["uri"]: r["score"] for r in skills.rank(text, top_k=top_skills * 2, lang=lang)}
    via: dict[str, float] = {}
    for r in occ:
        for s in tax.essential.get(r["uri"], ()):
            via[s] = max(via.get(s, 0.0), 0.8 * r["score"])
    merged = {u: max(direct.get(u, 0.0), via.get(u, 0.0)) + 0.2 * min(direct.get(u, 0.0),
                                                                        via.get(u, 0.0))
              for u in set(direct) | set(via)}
    best = sorted(merged.items(), key=lambda kv: -kv[1])[:top_skills]
    return {"occupations": occ,
            "skills": [{"uri": u, "label": tax.skill_label(u), "score": round(s, 4)}
                       for u, s in best]}
