"""Reading structure from a worker's own words."""

from __future__ import annotations

from matcher.profile import inferred_experience, years_in_text
from matcher.scoring import Experience, best_experience


def test_years_are_read_from_digits_words_and_bangla():
    assert years_in_text("I worked as a mason for 6 years in Riyadh") == 6
    assert years_in_text("six years driving, then 2 yrs in a garage") == 6
    assert years_in_text("৫ বছর রাজমিস্ত্রির কাজ করেছি") == 5
    assert years_in_text("I am 30 and can weld") is None


def test_only_confident_occupations_are_inferred():
    ranked = [{"uri": "u1", "score": 0.8}, {"uri": "u2", "score": 0.5},
              {"uri": "u3", "score": 0.45}]
    out = inferred_experience("welder 4 years", ranked, {"u1": "7212", "u2": "7214"})
    assert [(e["occupation_uri"], e["years"], e["confidence"]) for e in out] == \
        [("u1", 4.0, 0.8), ("u2", 4.0, 0.5)]
    assert inferred_experience("x", [{"uri": "u1", "score": 0.1}], {}) == []


def test_inferred_experience_counts_less_than_stated_experience():
    stated = best_experience("u1", "7212", [Experience("u1", "7212", 5.0)])
    inferred = best_experience("u1", "7212", [Experience("u1", "7212", 5.0, 0.6)])
    assert stated == (1.0, 1.0) and inferred == (0.6, 0.6)
