"""Bangla as workers write it: script, spelling variants, loanwords, Banglish → English trades.

``to_english(text)`` is the one entry point the ranker needs; ``needs_bangla(text)`` says when to
call it (Bangla script, or Latin-script Banglish such as "ami raj mistri").
"""

from matcher.bangla.lexicon import load_lexicon
from matcher.bangla.script import fold, phonetic_keys, romanise
from matcher.bangla.translate import is_bangla, looks_banglish, needs_bangla, to_english

__all__ = ["fold", "is_bangla", "load_lexicon", "looks_banglish", "needs_bangla",
           "phonetic_keys", "romanise", "to_english"]
