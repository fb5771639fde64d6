"""Query text before ranking (matcher.query_text): cleaning, v1 Bangla, the phrase naming a job."""

from __future__ import annotations

from matcher import normalise
from matcher.query_text import (
    BANGLA_LEXICON,
    MAX_QUERY_CHARS,
    clean_query,
    is_bangla,
    query_head,
    title_phrases,
    translate_bangla,
)


def test_the_phrase_naming_the_job_is_found_in_first_person_text_and_ads() -> None:
    assert title_phrases("I worked as a tile setter in Riyadh for 6 years.") == ["tile setter"]
    assert title_phrases("I am an experienced bus driver, 10 yrs")[0] == "bus driver"
    assert title_phrases("Position: Heavy Duty Driver. Salary 1500 SAR") == ["Heavy Duty Driver"]
    assert title_phrases("Welders wanted for a shipyard in Dubai") == ["Welders"]
    assert title_phrases("I am honest and hard working.") == []


def test_queries_are_cleaned_to_one_bounded_line() -> None:
    assert clean_query(None) == ""
    assert clean_query(b"tile\xff setter\x00\n\tRiyadh") == "tile setter Riyadh"
    assert clean_query("ﬁtter") == "fitter"  # NFKC: the ligature a phone keyboard may send
    assert len(clean_query("a" * (3 * MAX_QUERY_CHARS))) == MAX_QUERY_CHARS


def test_the_head_of_a_long_text_is_its_first_sentence_cut_short() -> None:
    text = "Experienced mason. I also did tiling and plastering for many years in Doha."
    assert query_head(text) == "Experienced mason."
    assert query_head("one two three four five", words=3) == "one two three"


def test_bangla_trade_words_translate_and_latin_words_stay() -> None:
    assert translate_bangla("আমি ড্রাইভার, heavy license আছে").split()[:1] == ["driver"]
    assert "heavy" in translate_bangla("আমি ড্রাইভার, heavy license আছে")
    assert is_bangla("আমি রাজমিস্ত্রি") and not is_bangla("") and not is_bangla("1234")


def test_the_names_the_bangla_hook_uses_stay_importable_from_normalise() -> None:
    """training/eval_bangla_v2 and bench/bangla import the v1 step from matcher.normalise."""
    assert normalise.translate_bangla is translate_bangla
    assert normalise.is_bangla is is_bangla and normalise.clean_query is clean_query
    assert normalise.BANGLA_LEXICON is BANGLA_LEXICON
