"""Spelling correction of query words against the vocabulary of the concepts ranked."""

from __future__ import annotations

import re
from collections.abc import Iterable

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
