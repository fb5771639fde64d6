"""The Bangla trade lexicon and the English trade vocabulary, with their match indexes.

``lexicon.tsv`` (bangla, english, source) holds native occupation names, trade terms, BMET/NTVQF
course names and short ESCO transliterations; ``trade_words.txt`` holds the English words of the
most recruited ESCO occupations (built by ``training/bangla_trade_vocab.py``). Both ship inside
the package and are read once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path

from matcher.bangla.script import (
    bangla_keys,
    fine_key,
    fold,
    phonetic_keys,
    roman_keys,
    romanise,
    skeleton,
)

HERE = Path(__file__).resolve().parent
LEXICON = HERE / "lexicon.tsv"
TRADE_WORDS = HERE / "trade_words.txt"
DROP = "-"
# Sources of native Bangla words (the others are mostly English loanwords in Bangla script).
NATIVE_SOURCES = {"bn-occupation-name", "bn-trade-term"}
# A loanword is matched on consonants alone only when it has at least this many of them.
MIN_SKELETON = 4
# Phonetic keys shorter than this (in letters, vowels written "V") are too ambiguous to match;
# shorter romanised words must match a lexicon key with their vowels (:func:`fine_key`).
MIN_KEY = 4
MIN_ROMAN_KEY = 5
MIN_ROMAN_SKELETON = 5
MEMO_SIZE = 50_000


@dataclass
class Lexicon:
    """Entries and indexes: folded Bangla keys, romanised keys, English loanword keys."""

    entries: dict[str, tuple[str, str]] = field(default_factory=dict)  # folded → (english, source)
    keys_by_length: list[str] = field(default_factory=list)
    # romanised keys → (english, whether the Bangla word is native rather than a loanword)
    roman: dict[str, tuple[str, bool]] = field(default_factory=dict)           # phonetic key
    roman_fine: dict[str, tuple[str, bool]] = field(default_factory=dict)      # fine key
    roman_skeletons: dict[str, tuple[str, bool]] = field(default_factory=dict)  # consonants
    drop_latin: set[str] = field(default_factory=set)
    drop_bangla: set[str] = field(default_factory=set)
    words: dict[str, int] = field(default_factory=dict)                 # English trade word → count
    english: set[str] = field(default_factory=set)                      # any ESCO label word
    word_keys: dict[str, set[str]] = field(default_factory=dict)        # phonetic key → words
    word_skeletons: dict[str, set[str]] = field(default_factory=dict)   # consonants → words
    memo: dict[str, tuple[str, bool] | None] = field(default_factory=dict, repr=False)

    def lookup_loanword(self, word: str) -> str | None:
        """Return the English trade word a Bangla-script word spells, if any (ড্রাইবার → driver).

        Candidates share a phonetic key (or, for 4+ consonants, the consonants); the one whose
        spelling is closest to the word's romanisation wins, then the more frequent.
        """
        memo_key = "\x01" + word
        if memo_key in self.memo:
            hit = self.memo[memo_key]
            return hit[0] if hit else None
        found = self._lookup_loanword(word)
        if len(self.memo) < MEMO_SIZE:
            self.memo[memo_key] = (found, False) if found else None
        return found

    def _lookup_loanword(self, word: str) -> str | None:
        keys = bangla_keys(word)
        hits = {w for k in keys if len(k) >= MIN_KEY for w in self.word_keys.get(k, ())}
        hits |= {w for k in keys if len(skeleton(k)) >= MIN_SKELETON
                 for w in self.word_skeletons.get(skeleton(k), ())}
        if not hits:
            return None
        roman = fine_key(romanise(word, inherent=False))

        def closeness(w: str) -> float:
            sound = re.sub(r"c(?=[eiy])", "s", w).replace("c", "k").replace("ea", "i")
            return round(SequenceMatcher(None, roman, fine_key(sound)).ratio(), 1)

        return max(hits, key=lambda w: (closeness(w), self.words.get(w, 0), w))

    def lookup_roman(self, text: str) -> tuple[str, bool] | None:
        """Return (English gloss, native?) of a romanised Bangla word ("rajmistri"), if any."""
        if text in self.memo:
            return self.memo[text]
        hit = self._lookup_roman(text)
        if len(self.memo) < MEMO_SIZE:
            self.memo[text] = hit
        return hit

    def _lookup_roman(self, text: str) -> tuple[str, bool] | None:
        for key in roman_keys(text):
            if len(key) >= MIN_ROMAN_KEY and key in self.roman:
                return self.roman[key]
        hit = self.roman_fine.get(fine_key(text))
        if hit is None:
            for key in roman_keys(text):
                hit = hit or self.roman_skeletons.get(skeleton(key))
        return hit


def _read_rows(path: Path) -> list[list[str]]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            rows.append(line.split("\t"))
    return rows


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """Read the packaged lexicon and trade vocabulary once and build the indexes."""
    lex = Lexicon()
    for row in _read_rows(TRADE_WORDS):
        lex.english.add(row[0])
        if len(row) < 3 or row[2] == "trade":
            lex.words[row[0]] = int(row[1]) if len(row) > 1 else 1
    for w in lex.words:
        for k in phonetic_keys(w):
            lex.word_keys.setdefault(k, set()).add(w)
            lex.word_skeletons.setdefault(skeleton(k), set()).add(w)
    roman_src: dict[str, tuple[int, str, bool]] = {}
    for row in _read_rows(LEXICON):
        if row[0] == "bangla" or len(row) < 3:
            continue
        key, english, source = row[0].strip(), row[1].strip(), row[2].strip()
        if source == "banglish-grammar":
            lex.drop_latin.add(key.lower())
            continue
        f = fold(key)
        if english == DROP:
            lex.drop_bangla.add(f)
            continue
        lex.entries.setdefault(f, (english, source))
        # the romanised form of every trade key, for Banglish ("dorjir kaj", "raj mistri")
        native = source in NATIVE_SOURCES or (source == "shetu-v1" and " " not in key
                                               and lex.lookup_loanword(key) is None)
        for k in bangla_keys(key.replace(" ", "")):
            if k not in roman_src or len(key) > roman_src[k][0]:
                roman_src[k] = (len(key), english, native)
            if len(skeleton(k)) >= MIN_ROMAN_SKELETON:
                lex.roman_skeletons.setdefault(skeleton(k), (english, native))
        for inherent in (True, False, "first"):
            lex.roman_fine.setdefault(fine_key(romanise(key.replace(" ", ""), inherent)),
                                      (english, native))
    lex.roman = {k: (v, nat) for k, (_, v, nat) in roman_src.items()}
    lex.keys_by_length = sorted(lex.entries, key=len, reverse=True)
    return lex
