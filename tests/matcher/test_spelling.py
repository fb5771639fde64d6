"""Spelling correction of query words (matcher.spelling)."""

from __future__ import annotations

from matcher.spelling import SpellFixer

VOCAB = ["electrician", "welder", "welding equipment", "plumber", "mason", "masonry work"]


def test_one_edit_misspellings_are_corrected_and_case_of_the_rest_kept() -> None:
    fix = SpellFixer(VOCAB)
    assert fix.fix("Electrecian in Riyadh") == "electrician in Riyadh"  # substitution
    assert fix.fix("weldre") == "welder"  # transposition
    assert fix.fix("euqipment") == "equipment"
    assert fix.fix("plumbr") == "plumber"  # deletion


def test_short_known_and_far_words_are_left_alone() -> None:
    fix = SpellFixer(VOCAB)
    assert fix.fix("masn") == "masn"  # under five letters: too short to correct safely
    assert fix.fix("welder") == "welder"
    assert fix.fix("carpenter") == "carpenter"  # nothing one edit away
