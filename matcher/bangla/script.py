"""Bangla script: spelling-variant folding, romanisation and phonetic keys.

Workers write the same word many ways: ি/ী and ু/ূ swapped, য়/য and ড়/ড without the nukta,
with or without hasanta (ইলেক্ট্রিক / ইলেকট্রিক), with ZWJ/ZWNJ from phone keyboards, শ/ষ/স
confused (পরিষ্কার / পরিস্কার), Bangla digits. :func:`fold` maps all of these to one form, so a
lexicon key matches every variant. :func:`romanise` writes Bangla script in Latin letters the way
Banglish is typed, and :func:`phonetic_keys` reduces Latin text (English, Banglish or romanised
Bangla) to keys that ignore what spelling changes between the three: "ড্রাইভার", "driver" and
"draibhar" share a key, as do "ইলেকট্রিশিয়ান" and "electrician".
"""

from __future__ import annotations

import re
import unicodedata

BENGALI_RE = re.compile(r"[\u0980-\u09ff]")
# Zero-width joiner / non-joiner, zero-width space, soft hyphen, BOM: keyboard artefacts.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u00ad\ufeff]")
_DIGITS = str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")
HASANTA = "\u09cd"
NUKTA = "\u09bc"

# Folding: every spelling variant of a word maps to the same folded string (never shown).
_FOLD_SEQ = (
    ("অ্যা", "এ"), ("্যা", "ে"), ("্য", ""),  # ya-phala (æ) written or not
    ("অয", "ওয"),                                # অয়েল্ডার / ওয়েল্ডার (nukta already gone)
    ("ৎ", "ত"),
)
_FOLD_CHARS = str.maketrans({
    "ী": "ি", "ূ": "ু", "ঈ": "ই", "ঊ": "উ",
    "শ": "স", "ষ": "স", "ণ": "ন", "ঙ": "ং", "য": "জ",
    "ঁ": None, "ঃ": None, HASANTA: None, NUKTA: None,
})


def clean(text: str) -> str:
    """NFC-normalise, drop zero-width characters and map Bangla digits to ASCII digits."""
    text = unicodedata.normalize("NFC", _INVISIBLE.sub("", text))
    return text.translate(_DIGITS)


def fold(text: str) -> str:
    """Return ``text`` with Bangla spelling variants folded to one form (for matching only)."""
    text = unicodedata.normalize("NFD", clean(text))  # য় → য + nukta, ড় → ড + nukta
    text = unicodedata.normalize("NFC", text.replace(NUKTA, ""))
    for a, b in _FOLD_SEQ:
        text = text.replace(a, b)
    return text.translate(_FOLD_CHARS)


def is_bengali(ch: str) -> bool:
    return bool(BENGALI_RE.match(ch))


# --------------------------------------------------------------------------------------------
# Romanisation (Bangla script → Latin, the way Banglish is typed)
# --------------------------------------------------------------------------------------------

_CONS = {
    "ক": "k", "খ": "kh", "গ": "g", "ঘ": "gh", "ঙ": "ng", "চ": "ch", "ছ": "chh", "জ": "j",
    "ঝ": "jh", "ঞ": "n", "ট": "t", "ঠ": "th", "ড": "d", "ঢ": "dh", "ণ": "n", "ত": "t",
    "থ": "th", "দ": "d", "ধ": "dh", "ন": "n", "প": "p", "ফ": "f", "ব": "b", "ভ": "bh",
    "ম": "m", "য": "j", "র": "r", "ল": "l", "শ": "sh", "ষ": "sh", "স": "s", "হ": "h",
    "\u09dc": "r", "\u09dd": "rh", "\u09df": "y", "ৎ": "t", "ং": "ng", "ঃ": "", "ঁ": "",
}
_VOWEL_SIGNS = {"া": "a", "ি": "i", "ী": "i", "ু": "u", "ূ": "u", "ৃ": "ri", "ে": "e",
                "ৈ": "oi", "ো": "o", "ৌ": "ou"}
_VOWELS = {"অ": "o", "আ": "a", "ই": "i", "ঈ": "i", "উ": "u", "ঊ": "u", "ঋ": "ri", "এ": "e",
           "ঐ": "oi", "ও": "o", "ঔ": "ou"}
_NO_INHERENT = {"ং", "ঃ", "ঁ", "ৎ"}


def romanise(text: str, inherent: bool | str = True) -> str:
    """Write Bangla script in Latin letters (Banglish style); other characters are kept.

    With ``inherent`` a consonant followed directly by another consonant (no vowel sign, no
    hasanta) gets the inherent vowel "o" (কসাই → "kosai", রাজমিস্ত্রি → "rajomistri").
    Loanwords are often spelt without hasanta (ওয়েলডার), so callers match both forms;
    ``inherent="first"`` adds it after a word's first letter only (রডমিস্ত্রি → "rodmistri").
    """
    text = unicodedata.normalize("NFC", clean(text))
    # য়, ড়, ঢ় decompose under NFC (consonant + nukta); ya-phala (্য) only colours the vowel.
    text = (text.replace("\u09af" + NUKTA, "\u09df").replace("\u09a1" + NUKTA, "\u09dc")
            .replace("\u09a2" + NUKTA, "\u09dd").replace(HASANTA + "\u09af", ""))
    out: list[str] = []
    n = len(text)
    for i, ch in enumerate(text):
        nxt = text[i + 1] if i + 1 < n else ""
        if ch in _CONS:
            out.append(_CONS[ch])
            first = i == 0 or not is_bengali(text[i - 1])
            if (inherent and (inherent is True or first) and ch not in _NO_INHERENT and nxt
                    and nxt in _CONS and nxt not in _NO_INHERENT):
                out.append("o")
        elif ch in _VOWEL_SIGNS:
            out.append(_VOWEL_SIGNS[ch])
        elif ch in _VOWELS:
            out.append(_VOWELS[ch])
        elif ch in (HASANTA, NUKTA):
            continue
        else:
            out.append(ch)
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Phonetic keys (Latin text of any origin)
# --------------------------------------------------------------------------------------------

_DIGRAPHS = (("tion", "shon"), ("sion", "shon"), ("ph", "f"), ("ck", "k"), ("sh", "s"),
             ("th", "t"), ("dh", "d"), ("bh", "b"), ("kh", "k"), ("gh", "g"), ("jh", "j"),
             ("rh", "r"), ("qu", "k"), ("q", "k"), ("x", "ks"), ("z", "j"), ("v", "b"))
_VOWEL_RUN = re.compile(r"[aeiouyw]+")
_DOUBLE = re.compile(r"(.)\1+")


def _variants(word: str) -> set[str]:
    """English spellings whose sound differs: ch (chef/chalk/mechanic), soft c and soft g."""
    out = {word}
    if "ch" in word:
        out = {v for w in out for v in (w.replace("ch", "c"), w.replace("ch", "k"),
                                          w.replace("ch", "s"))}
    if "c" in word:
        out = {re.sub(r"c(?=[eiy])", "s", w).replace("c", "k") for w in out} | {
            w.replace("c", "k") for w in out}
    if re.search(r"g[eiy]", word):
        out |= {re.sub(r"g(?=[eiy])", "j", w) for w in out}
    return out


def _reduce(word: str) -> str:
    for a, b in _DIGRAPHS:
        word = word.replace(a, b)
    word = word.replace("h", "")
    word = _DOUBLE.sub(r"\1", word)
    word = _VOWEL_RUN.sub("V", word)
    return word.rstrip("V") or word


def phonetic_keys(word: str) -> set[str]:
    """Return the vowel-pattern keys of a Latin word ("driver" → {"drVbVr"})."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return set()
    return {_reduce(v) for v in _variants(w)}


def roman_keys(word: str) -> set[str]:
    """Keys of a romanised Bangla word (Banglish): no English sound variants ("ch" stays চ)."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return set()
    return {_reduce(w), _reduce(re.sub(r"c(?!h)", "k", w))}


_FINE = str.maketrans({"o": "a", "y": "i", "w": "u"})


def fine_key(word: str) -> str:
    """A stricter key that keeps vowels (a/o merged), for short romanised words: "mali", "goru"."""
    w = re.sub(r"[^a-z]", "", word.lower())
    for a, b in _DIGRAPHS:
        w = w.replace(a, b)
    w = w.replace("h", "").replace("ee", "i").replace("oo", "u").translate(_FINE)
    return _DOUBLE.sub(r"\1", w)


def skeleton(key: str) -> str:
    """Consonants of a phonetic key, leading vowel dropped ("VlVktrVsVn" → "lktrsn")."""
    return key.replace("V", "")


def bangla_keys(word: str) -> set[str]:
    """Phonetic keys of a Bangla-script word, with and without inherent vowels."""
    keys: set[str] = set()
    for inherent in (True, False, "first"):
        r = romanise(word, inherent=inherent)
        r = re.sub(r"[^a-z]", "", r)
        if r:
            keys.add(_reduce(r))
    return keys
