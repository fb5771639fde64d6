"""Bangla, Banglish and mixed-script worker text → the English trade words Shetu ranks.

``to_english("আমি ইলেক্ট্রিসিয়ান, ৭ বছর")`` → ``"electrician"``;
``to_english("ami raj mistri")`` → ``"mason bricklayer"``;
``to_english("আমি welder, 6G সার্টিফিকেট আছে")`` → ``"welder 6G"``.

Steps, in text order:
1. clean: NFC, zero-width characters dropped, Bangla digits → ASCII;
2. Bangla-script runs: spelling folded (:func:`matcher.bangla.script.fold`), lexicon keys matched
   as word stems, longest first; a word left over that is not a grammar word is read as a
   loanword: its phonetic key is compared with the English trade vocabulary (ড্রাইবার → driver);
   other Bangla words are dropped;
3. Latin runs: Banglish grammar words dropped; English trade words kept; other words tried as
   romanised Bangla against the lexicon (one or two words, with case endings -er/-r/-e/-te/-ke
   stripped), otherwise kept as they are (the spelling corrector sees them next).
"""

from __future__ import annotations

import re

from matcher.bangla.lexicon import Lexicon, load_lexicon
from matcher.bangla.script import BENGALI_RE, clean, fine_key, fold

_RUN = re.compile(r"[\u0980-\u09ff]+(?:[ \t]+[\u0980-\u09ff]+)*|[A-Za-z][A-Za-z0-9'\-]*|\d+\w*")
_BN_SUFFIXES = ("গুলো", "দের", "েরা", "টাতে", "টায়", "টার", "তেও", "কেও", "য়ের", "য়ে", "য়",
                "ের", "এর", "তে", "কে", "রা", "টা", "টি", "র", "ে", "ও")
_FOLDED_SUFFIXES = {fold(x) for x in _BN_SUFFIXES}
_LATIN_SUFFIXES = ("der", "er", "te", "ke", "ra", "r", "e")
# Short ASCII tokens that carry a trade on their own (digits: welding positions).
_KEEP_SHORT = {"6g", "3g", "2g", "1g"}
# Abbreviations workers type for trades.
_ABBREVIATIONS = {"ac": "air conditioning", "a/c": "air conditioning", "cnc": "cnc",
                  "hvac": "heating ventilation air conditioning", "lpg": "gas",
                  "elec": "electrician", "hgv": "heavy goods vehicle", "ltv": "light vehicle"}
_MIN_BN_WORD = 2


def is_bangla(text: str) -> bool:
    """True when at least a fifth of the letters of ``text`` are Bangla script."""
    letters = [c for c in text[:2000] if c.isalpha()]
    if not letters:
        return False
    return sum(1 for c in letters if BENGALI_RE.match(c)) >= 0.2 * len(letters)


def looks_banglish(text: str, lex: Lexicon | None = None) -> bool:
    """True for Latin-script text with Banglish grammar words ("ami driver", "kaj kori")."""
    lex = lex or load_lexicon()
    if _OTHER_LATIN.search(text[:2000]):
        return False  # ü, é, ñ …: German, Spanish, French, not Banglish (typed in ASCII)
    raw = re.findall(r"[A-Za-z]+", text[:2000])
    words = [w.lower() for w in raw]
    if not words:
        return False
    # grammar words (not acronyms: "AMI Aircraft Maintenance"), and standalone case endings
    marks = sum(1 for w, r in zip(words, raw, strict=True)
                if w in lex.drop_latin and len(w) >= 3 and w not in _ENGLISH_TOO
                and not (r.isupper() and len(r) > 1))
    particles = sum(1 for w in words if w in _PARTICLES)
    if marks >= 1 and (marks + particles >= 2 or len(words) <= 4) \
            and marks + particles >= 0.15 * len(words):
        return True
    # no grammar word: every word an English word or a native Bangla trade word in Latin
    # letters, at least one of them Bangla ("crane chalai", "rong mistri", "rajmistri")
    native = 0
    for w in words:
        if w in lex.words or w in lex.english:
            continue
        hit = lex.lookup_roman(w) if len(w) >= 4 else None
        if not hit or not hit[1]:
            return False
        if len(words) == 1 and not lex.roman_fine.get(fine_key(w), ("", False))[1]:
            return False  # one word alone must match a native key with its vowels
        native += 1
    return native >= 1


# Banglish grammar words that are also English words: no evidence on their own.
_ENGLISH_TOO = {"der", "pore", "para", "are", "car", "din", "age", "die", "ban", "tin", "pare",
                "course", "training", "dubai", "saudi", "qatar", "oman", "kuwait", "malaysia",
                "japan", "jordan", "singapore", "dhaka", "ten"}


_PARTICLES = {"e", "er", "r", "te", "ke", "ra", "der"}
_OTHER_LATIN = re.compile(r"[\u00c0-\u024f\u0300-\u036f]")


def needs_bangla(text: str) -> bool:
    """True when ``text`` should go through :func:`to_english` (Bangla script or Banglish)."""
    return is_bangla(text) or looks_banglish(text)


def _merge_split_compounds(folded: list[str], lex: Lexicon) -> list[str]:
    """Join words that a lexicon compound spans ("রাজ মিস্ত্রী" → "রাজমিস্ত্রি")."""
    out: list[str] = []
    i = 0
    while i < len(folded):
        if i + 1 < len(folded):
            a, b = folded[i], folded[i + 1]
            c = a + b
            if any(c[:n] in lex.entries for n in range(len(a) + 2, len(c) + 1)):
                out.append(c)
                i += 2
                continue
        out.append(folded[i])
        i += 1
    return out


def _bangla_run(run: str, lex: Lexicon) -> list[tuple[int, str]]:
    """Translate a run of Bangla-script words; returns (position, english) pairs."""
    words = run.split()
    folded = _merge_split_compounds([fold(w) for w in words], lex)
    if len(folded) != len(words):
        words = folded  # loanword reading below works on folded text then
    text = " ".join(folded)
    bounds: dict[int, int] = {}  # word start → word end
    pos = 0
    for f in folded:
        bounds[pos] = pos + len(f)
        pos += len(f) + 1
    found: list[tuple[int, str]] = []
    for key in lex.keys_by_length:
        start = text.find(key)
        while start >= 0:
            end = bounds.get(start)
            # keys are stems at the start of a word; a short one must be the whole word (+ case
            # ending), so বাস (bus) does not match বাসা (home) and পেন্টার not কার্পেন্টার
            if end is not None and (len(key) >= 4 or end == start + len(key)
                                    or text[start + len(key):end] in _FOLDED_SUFFIXES):
                found.append((start, lex.entries[key][0]))
                text = text[:start] + "\x00" * len(key) + text[start + len(key):]
            start = text.find(key, start + 1)
    # words not covered by a key: grammar words are dropped, the rest read as loanwords
    pos = 0
    for w, f in zip(words, folded, strict=True):
        span = text[pos:pos + len(f)]
        if "\x00" not in span and len(f) >= _MIN_BN_WORD and not _is_grammar(f, lex):
            english = _loanword(w, lex)
            if english:
                found.append((pos, english))
        pos += len(f) + 1
    return found


def _is_grammar(f: str, lex: Lexicon) -> bool:
    if f in lex.drop_bangla:
        return True
    return any(f.endswith(s) and f[:-len(s)] in lex.drop_bangla for s in _BN_SUFFIXES)


def _loanword(word: str, lex: Lexicon) -> str | None:
    forms = [word] + [word[:-len(s)] for s in _BN_SUFFIXES if word.endswith(s)
                      and len(word) - len(s) >= 3]
    for form in forms:
        hit = lex.lookup_loanword(form)
        if hit:
            return hit
    return None


def _latin_words(words: list[tuple[int, str]], lex: Lexicon, banglish: bool
                 ) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(words):
        pos, w = words[i]
        lw = w.lower()
        if banglish and i + 1 < len(words):  # two romanised words ("raj mistri", "basar kaj")
            nxt = words[i + 1][1].lower()
            if not lw[:1].isdigit() and not nxt[:1].isdigit():
                hit = _roman(lw + nxt, lex)
                if hit:
                    out.append((pos, hit))
                    i += 2
                    continue
        i += 1
        if lw in lex.drop_latin and banglish:
            continue
        if lw[:1].isdigit():
            if lw in _KEEP_SHORT:
                out.append((pos, w))
            continue
        if lw in _ABBREVIATIONS:
            out.append((pos, _ABBREVIATIONS[lw]))
            continue
        if lw in lex.words or lw in lex.english or len(lw) <= 2:
            if len(lw) > 2:
                out.append((pos, w))
            continue
        hit = _roman(lw, lex) if banglish else None
        out.append((pos, hit or w))
    return out


def _roman(lw: str, lex: Lexicon) -> str | None:
    hit = lex.lookup_roman(lw)
    if hit:
        return hit[0]
    for s in _LATIN_SUFFIXES:
        if lw.endswith(s) and len(lw) - len(s) >= 3:
            hit = lex.lookup_roman(lw[:-len(s)])
            if hit:
                return hit[0]
    return None


def to_english(text: str, lex: Lexicon | None = None) -> str:
    """Return the English trade words of a Bangla, Banglish or mixed text (``""`` if none)."""
    lex = lex or load_lexicon()
    text = clean(text)
    banglish = is_bangla(text) or looks_banglish(text, lex)
    found: list[tuple[int, str]] = []
    latin: list[tuple[int, str]] = []
    for m in _RUN.finditer(text):
        run = m.group(0)
        if BENGALI_RE.match(run):
            found += [(m.start() + p, e) for p, e in _bangla_run(run, lex)]
        else:
            latin.append((m.start(), run))
    found += _latin_words(latin, lex, banglish)
    parts = [e for _, e in sorted(found, key=lambda x: x[0])]
    return " ".join(dict.fromkeys(p for p in parts if p))
