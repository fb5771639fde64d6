"""Bangla as workers write it: spelling variants, loanwords, Banglish, mixed script (no model)."""

from __future__ import annotations

import csv

import pytest

from matcher.bangla import fold, needs_bangla, romanise, to_english
from matcher.bangla.lexicon import LEXICON, TRADE_WORDS, load_lexicon
from matcher.bangla.script import phonetic_keys


@pytest.mark.parametrize(("a", "b"), [
    ("ইলেক্ট্রিশিয়ান", "ইলেকট্রিসিয়ান"),       # hasanta, শ/স
    ("বাবুর্চী", "বাবুর্চি"),                     # ী/ি
    ("পরিষ্কার", "পরিস্কার"),                   # ষ/স
    ("রাজমিস্ত্রী", "রাজমিস্ত্রি"),
    ("ওয়েল্ডার", "অয়েল্ডার"),                   # ও/অ before য়
    ("ড্রাইভার", "ড্রাইভার\u200c"),               # ZWNJ from a phone keyboard
    ("গাড়ি", "গাডি"),                           # ড়/ড
])
def test_spelling_variants_fold_together(a: str, b: str) -> None:
    assert fold(a) == fold(b)


def test_different_words_stay_different() -> None:
    assert fold("দর্জি") != fold("দারোয়ান")
    assert fold("কাজ") != fold("কাঠ")


def test_bangla_digits_become_ascii() -> None:
    assert to_english("আমি welder, ৬G সার্টিফিকেট আছে") == "welder 6G"


def test_romanise_writes_banglish() -> None:
    assert romanise("কসাই") == "kosai"
    assert romanise("দর্জি") == "dorji"
    assert romanise("রাজমিস্ত্রি", inherent=False) == "rajmistri"


def test_loanword_and_english_word_share_a_key() -> None:
    from matcher.bangla.script import bangla_keys

    for bangla, english in [("ড্রাইভার", "driver"), ("ইলেকট্রিশিয়ান", "electrician"),
                            ("প্লাম্বার", "plumber"), ("কার্পেন্টার", "carpenter"),
                            ("সিকিউরিটি", "security")]:
        assert bangla_keys(bangla) & phonetic_keys(english), (bangla, english)


@pytest.mark.parametrize(("text", "expected"), [
    # Bangla-script English loanwords, including misspellings no lexicon lists
    ("ড্রাইবার", "driver"),
    ("ইলেক্ট্রিসিয়ান", "electrician"),
    ("পলাম্বার", "plumber plumbing"),
    ("কিলিনার", "cleaner"),
    ("ওয়েলডার", "welder welding"),
    ("কার্পেন্টার হিসাবে কাতারে ছিলাম", "carpenter"),
    # native words and their variant spellings
    ("আমি রাজমিস্ত্রির কাজ করি", "mason bricklayer"),
    ("রাজ মিস্ত্রী", "mason bricklayer"),
    ("আমি দর্জি", "tailor"),
    # romanised Bangla (Banglish)
    ("ami raj mistri", "mason bricklayer"),
    ("dorjir kaj kori", "tailor"),
    ("electrician er kaj kori", "electrician"),
    ("driving jani, license ache", "driving license"),
    # mixed scripts
    ("ami ড্রাইভার", "driver"),
    ("আমি electrician, ৭ বছর অভিজ্ঞতা", "electrician"),
])
def test_worker_text_becomes_english_trade_words(text: str, expected: str) -> None:
    assert to_english(text) == expected


def test_words_without_trade_content_are_dropped() -> None:
    assert to_english("আমি বিদেশে যেতে চাই") == ""
    assert to_english("ami bideshe jete chai") == ""


def test_a_native_word_is_not_mistaken_for_a_loanword() -> None:
    # "বাসা বাড়ির কাজ" is housework; "বাস" (bus) must not match inside "বাসা"
    assert "bus" not in to_english("বাসা বাড়ির কাজ করি")
    assert to_english("বাসা বাড়ির কাজ করি").startswith("domestic housekeeper")


@pytest.mark.parametrize("text", [
    "tile setter", "I am a driver with 5 years in Riyadh", "camera operator",
    "AMI Aircraft Maintenance", "Bus/Runner - Din Tai Fung - Aria",
    "leiter des führungsteams für das gästeerlebnis",
    "television producer", "asistente dental", "maestra estilista", "psychologischer assistent",
    "pore pressure engineer",
])
def test_english_and_other_languages_are_left_to_the_english_pipeline(text: str) -> None:
    assert not needs_bangla(text)


@pytest.mark.parametrize("text", ["ami raj mistri", "আমি ড্রাইভার", "crane chalai",
                                  "kitchen helper chilam restaurant e",
                                  "rajmistri", "gari chalai 8 bochor"])
def test_bangla_and_banglish_are_detected(text: str) -> None:
    assert needs_bangla(text)


def test_lexicon_rows_name_their_source() -> None:
    allowed = {"bmet-ntvqf", "bn-occupation-name", "bn-trade-term", "esco-translit", "shetu-v1",
               "bn-grammar", "banglish-grammar"}
    with open(LEXICON, encoding="utf-8") as fh:
        rows = list(csv.reader((ln for ln in fh if not ln.startswith("#")), delimiter="\t"))
    assert rows[0] == ["bangla", "english", "source"]
    assert len(rows) > 500
    assert {r[2] for r in rows[1:]} <= allowed
    assert all(r[0].strip() and r[1].strip() for r in rows[1:])


def test_trade_vocabulary_is_packaged() -> None:
    lex = load_lexicon()
    assert TRADE_WORDS.exists()
    assert {"electrician", "welder", "plumber", "driver", "cleaner"} <= set(lex.words)
    assert len(lex.english) > 5000


def test_the_ranker_reads_banglish_loanwords_and_variants(tmp_path) -> None:
    """The hook in ConceptRanker.prepare: what a worker types reaches the right occupation."""
    from matcher.encoder import HashingEncoder
    from matcher.normalise import Concept, ConceptRanker

    occ = "http://data.europa.eu/esco/occupation/"
    concepts = [Concept(occ + "brick", "bricklayer", ("brick mason", "mason"),
                        "bricklayer. lay bricks"),
                Concept(occ + "weld", "welder", ("welding operator",), "welder. weld metal"),
                Concept(occ + "elec", "electrician", ("electrical fitter",),
                        "electrician. install wiring"),
                Concept(occ + "tailor", "tailor", ("dressmaker",), "tailor. sew garments")]
    ranker = ConceptRanker("occupations", concepts, HashingEncoder(), cache_dir=tmp_path)
    for text, label in [("ami raj mistri", "bricklayer"), ("ওয়েলডার", "welder"),
                        ("ইলেক্ট্রিসিয়ান", "electrician"), ("dorjir kaj kori", "tailor"),
                        ("আমি welder, ৬ বছর", "welder")]:
        assert ranker.rank(text, top_k=1)[0]["label"] == label, text
    assert ranker.rank("ami bideshe jete chai") == []  # no trade named → nothing ranked
