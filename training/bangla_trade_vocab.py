"""Build ``matcher/bangla/trade_words.txt``: the English words a Bangla-script loanword may be.

Workers write English trade words in Bangla script (ড্রাইভার, ইলেকট্রিশিয়ান, ওয়েল্ডার). The
phonetic matcher in :mod:`matcher.bangla.lexicon` compares such a word with this list, so the list
should hold the words of the trades migrant workers are recruited for, and not much else (every
extra word is a chance for a native Bangla word to be mistaken for it).

How the trades are chosen: the demo job orders (``training/synthetic.py``) draw ESCO occupations
with weights = BMET 2024 skill-level share (``bangladesh/bmet_skill_levels.csv``) spread over the
ISCO major groups of that level, × 25 for occupations whose label names a common migrant trade
(``COMMON_TRADES``). The ``TOP`` occupations with the highest draw weight are the trades; their
preferred and alternative labels give the words (count = number of labels using the word).
A short list of workplace loanwords that ESCO labels lack (licence, company, duty ...) is added.

    python -m training.bangla_trade_vocab [--top 150]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from matcher.bangla.lexicon import TRADE_WORDS
from matcher.taxonomy import load_taxonomy
from registry.config import Settings
from training.synthetic import occupation_pool

TOP = 150
COMMON_LOANWORDS = (
    "licence license company duty overtime supervisor foreman helper technician operator "
    "factory hotel restaurant hospital office building site workshop machine "
    "garments fitting servicing wiring cutting packing loading cleaning driving welding "
    "plumbing cooking housekeeping fabrication shuttering scaffolding maintenance repair "
    "electric electrical electronics engine motor vehicle truck lorry taxi car van "
    "delivery rider forklift crane excavator bulldozer diesel petrol pump bakery salon "
    "laundry supermarket hospital home care"
).split()
_WORD = re.compile(r"[a-z]{3,}")


def build(top: int = TOP) -> tuple[list[str], dict[str, int], set[str]]:
    """Return the chosen occupations' labels, their word counts and the other ESCO words."""
    s = Settings()
    tax = load_taxonomy(s.esco_dir, s.cache_dir)
    occs, weights = occupation_pool(tax, Path(s.data_dir))
    ranked = sorted(zip(weights, (o.uri for o in occs), occs, strict=True), reverse=True)
    chosen = []
    seen: set[str] = set()
    for _, uri, o in ranked:
        if uri not in seen:
            seen.add(uri)
            chosen.append(o)
        if len(chosen) >= top:
            break
    counts: dict[str, int] = {}
    for o in chosen:
        for label in (o.label, *o.alt_labels):
            for w in set(_WORD.findall(label.lower())):
                counts[w] = counts.get(w, 0) + 1
    for w in COMMON_LOANWORDS:
        counts.setdefault(w, 1)
    # every other word of an ESCO occupation or skill label: kept when typed in Latin letters
    # (never read as romanised Bangla), but not a loanword target
    other: set[str] = set()
    for o in tax.occupations.values():
        for label in (o.label, *o.alt_labels):
            other.update(_WORD.findall(label.lower()))
    for sk in tax.skills.values():
        other.update(_WORD.findall(sk.label.lower()))
    return [o.label for o in chosen], counts, other - set(counts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=TOP)
    args = ap.parse_args()
    labels, counts, other = build(args.top)
    with open(TRADE_WORDS, "w", encoding="utf-8") as fh:
        fh.write(f"# English words of the {len(labels)} ESCO v1.1.1 occupations most drawn for the "
                 "demo job orders\n# (BMET 2024 skill-level shares x common-trade boost; see "
                 "training/bangla_trade_vocab.py), preferred + alternative labels,\n# plus "
                 f"{len(COMMON_LOANWORDS)} workplace loanwords (kind 'trade': loanword targets),\n"
                 "# then every other word of the ESCO occupation and skill labels (kind 'esco': "
                 "English, kept as typed). Columns: word, labels using it, kind. Occupations:\n")
        for i in range(0, len(labels), 6):
            fh.write("#   " + "; ".join(labels[i:i + 6]) + "\n")
        for w, c in sorted(counts.items(), key=lambda x: (-x[1], x[0])):
            fh.write(f"{w}\t{c}\ttrade\n")
        for w in sorted(other):
            fh.write(f"{w}\t0\tesco\n")
    print(f"{len(counts)} trade words from {len(labels)} occupations, {len(other)} other ESCO "
          f"words -> {TRADE_WORDS}")


if __name__ == "__main__":
    main()
