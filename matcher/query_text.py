"""Query text before ranking: cleaning, the Bangla trade lexicon, where a text names its job.

Bangla queries are translated word by word with a small trade lexicon (:data:`BANGLA_LEXICON`);
:func:`title_phrases` finds where a self-description or a job ad names the job ("I worked as a X
in ...", "Position: X"), so :class:`matcher.normalise.ConceptRanker` can match that phrase as a
title. Everything here is pure text in, text out (no model, no files).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

MAX_QUERY_CHARS = 20000  # lexical signals read at most this much of a query
HEAD_WORDS = 12  # long queries also embed their head (often the job title) on its own

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffd]+")
_BENGALI = re.compile(r"[\u0980-\u09ff]")
_SENTENCE = re.compile(r"(?<=[.!?;।|\n])\s+")

# Bangla → English trade lexicon for common migrant trades. Keys are word stems matched as
# substrings (Bangla inflects with suffixes: -এর, -ের, -কে, -তে, -রা ...); the longest key wins.
BANGLA_LEXICON: dict[str, str] = {
    # construction
    "রাজমিস্ত্রি": "mason bricklayer", "রাজমিস্ত্রী": "mason bricklayer",
    "ইট গাঁথ": "bricklayer brick laying", "ইটের গাঁথুনি": "bricklayer brick laying",
    "গাঁথুনি": "bricklaying masonry", "ইট": "brick", "প্লাস্টার": "plasterer plastering",
    "টাইলস": "tile fitter tiles", "টাইল": "tile fitter tiles", "মার্বেল": "marble tiles",
    "রড মিস্ত্রি": "steel fixer rebar", "রডমিস্ত্রি": "steel fixer rebar", "রড": "steel rebar",
    "ঢালাই": "concrete casting", "কংক্রিট": "concrete", "সিমেন্ট": "cement concrete",
    "ভারা": "scaffolder scaffolding", "স্ক্যাফোল্ড": "scaffolder scaffolding",
    "নির্মাণ": "construction building", "বিল্ডিং": "building construction",
    "দালান": "building construction", "কাঠমিস্ত্রি": "carpenter woodwork",
    "কাঠমিস্ত্রী": "carpenter woodwork", "কাঠের কাজ": "carpenter woodwork",
    "শাটারিং": "carpenter formwork shuttering", "ফার্নিচার": "furniture",
    "রং মিস্ত্রি": "construction painter", "রংমিস্ত্রি": "construction painter",
    "রং করা": "painting painter", "রঙ": "paint painter", "রং": "paint painter",
    "প্লাম্বার": "plumber plumbing", "পাইপ ফিটার": "pipe fitter", "পাইপ": "pipe plumbing",
    "স্যানিটারি": "plumber sanitary", "শ্রমিক": "labourer worker", "মজুর": "labourer",
    "জোগালি": "construction labourer helper", "জোগান": "construction labourer helper",
    # electrical, welding, mechanics
    "ইলেকট্রিশিয়ান": "electrician", "ইলেক্ট্রিশিয়ান": "electrician",
    "ইলেকট্রিক": "electrician electrical", "ইলেক্ট্রিক": "electrician electrical",
    "বিদ্যুৎ": "electrician electrical", "বিদ্যুত": "electrician electrical",
    "বৈদ্যুতিক": "electrician electrical", "ওয়্যারিং": "electrician electrical wiring",
    "তার": "wiring cable", "লাইট": "lighting", "সুইচ": "electrical switch",
    "ওয়েল্ডার": "welder welding", "ওয়েল্ডিং": "welder welding", "ওয়েলডিং": "welder welding",
    "ঝালাই": "welder welding", "ওয়েল্ড": "welder welding", "গ্যাস কাটার": "gas cutting welder",
    "মেকানিক": "mechanic", "মোটর মেকানিক": "motor vehicle mechanic",
    "এসি": "air conditioning refrigeration technician", "ফ্রিজ": "refrigeration technician",
    "মিস্ত্রি": "tradesman", "মিস্ত্রী": "tradesman", "ফিটার": "fitter",
    # cleaning, domestic, care
    "পরিচ্ছন্ন": "cleaner cleaning", "পরিষ্কার": "cleaner cleaning", "ক্লিনার": "cleaner",
    "ক্লিনিং": "cleaner cleaning", "ঝাড়ু": "cleaner sweeping", "মোছা": "cleaner mopping",
    "ঝাড়ুদার": "cleaner sweeper", "ধোয়া": "washing cleaning", "কাপড় ধো": "laundry washing",
    "গৃহকর্মী": "domestic housekeeper domestic cleaner", "গৃহকর্ম": "domestic housekeeper",
    "বাসাবাড়ি": "domestic housekeeper", "বাসায়": "domestic housekeeper home",
    "বাসার কাজ": "domestic housekeeper", "ঘরের কাজ": "domestic housekeeper",
    "হাউসকিপ": "housekeeper", "হাউজকিপ": "housekeeper",
    "রান্না": "cook cooking", "বাবুর্চি": "cook", "শেফ": "chef cook",
    "পরিচর্যা": "care worker caregiver", "সেবাযত্ন": "care worker caregiver",
    "দেখাশোনা": "care worker caregiver looking after", "সেবিকা": "nurse caregiver",
    "কেয়ারগিভার": "caregiver care worker", "কেয়ার গিভার": "caregiver care worker",
    "বয়স্ক": "elderly older adult care", "বৃদ্ধ": "elderly older adult care",
    "রোগী": "patient care", "শিশু": "child care", "বাচ্চা": "child care nanny",
    "আয়া": "nanny child care", "নার্স": "nurse",
    # driving, transport
    "ড্রাইভার": "driver", "ড্রাইভিং": "driver driving", "চালক": "driver",
    "গাড়ি চালা": "driver driving car", "গাড়ি": "car vehicle", "চালাই": "drive",
    "চালাতাম": "drive", "চালিয়ে": "drive driving",
    "হেভি": "heavy goods vehicle",
    "অসুস্থ": "sick patient care", "দেয়াল": "wall",
    "ট্রাক": "truck lorry driver", "লরি": "lorry truck driver",
    "বাস": "bus", "ট্যাক্সি": "taxi", "লাইসেন্স": "driving licence",
    "ফর্কলিফট": "forklift operator", "ক্রেন": "crane operator", "ডেলিভারি": "delivery",
    # garments, factory
    "গার্মেন্টস": "garment sewing machine operator", "গার্মেন্ট": "garment sewing machine operator",
    "পোশাক": "garment clothing", "সেলাই": "sewing machine operator",
    "দর্জি": "tailor", "টেইলার": "tailor", "অপারেটর": "operator",
    "সুইং": "sewing machine operator", "কাটিং মাস্টার": "garment cutter",
    "কাপড়": "textile fabric", "কারখানা": "factory", "ফ্যাক্টরি": "factory",
    "মেশিন": "machine",
    # agriculture, hospitality, other common trades
    "কৃষি": "agricultural farm worker", "কৃষক": "farmer", "খামার": "farm worker",
    "মালি": "gardener", "বাগান": "gardener garden", "হোটেল": "hotel",
    "রেস্টুরেন্ট": "restaurant", "ওয়েটার": "waiter", "দোকান": "shop sales assistant",
    "বিক্রয়": "sales assistant", "নিরাপত্তা": "security guard", "গার্ড": "guard",
    "দারোয়ান": "security guard", "মাছ": "fish", "জাহাজ": "ship", "জেলে": "fisher",
}
_LEXICON_KEYS = sorted(BANGLA_LEXICON, key=len, reverse=True)


def is_bangla(text: str) -> bool:
    """Return True when at least a fifth of the letters of ``text`` are Bengali script."""
    letters = [c for c in text[:2000] if c.isalpha()]
    if not letters:
        return False
    return sum(1 for c in letters if _BENGALI.match(c)) >= 0.2 * len(letters)


def translate_bangla(text: str) -> str:
    """Translate the trade words of a Bangla text to English with :data:`BANGLA_LEXICON`.

    Latin-script words in the text are kept; Bangla words the lexicon lacks are dropped, so a
    text with no known trade word translates to an empty string (and ranks nothing).
    """
    text = unicodedata.normalize("NFC", text)
    found: list[tuple[int, str]] = []
    for key in _LEXICON_KEYS:
        start = text.find(key)
        while start >= 0:
            found.append((start, BANGLA_LEXICON[key]))
            text = text[:start] + " " * len(key) + text[start + len(key):]
            start = text.find(key)
    latin = [(m.start(), m.group(0)) for m in re.finditer(r"[A-Za-z][A-Za-z\-]+", text)]
    parts = [w for _, w in sorted(found + latin)]
    return " ".join(dict.fromkeys(parts))


def clean_query(text: Any) -> str:
    """Return ``text`` as a clean single-line string (bytes decoded leniently, controls removed)."""
    if text is None:
        return ""
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="replace")
    text = str(text)[: MAX_QUERY_CHARS * 2]
    text = unicodedata.normalize("NFKC", text)
    return " ".join(_CONTROL.sub(" ", text).split())[:MAX_QUERY_CHARS]


def query_head(text: str, words: int = HEAD_WORDS) -> str:
    """Return the first sentence's first ``words`` words (often the job title of a long text)."""
    first = _SENTENCE.split(text, maxsplit=1)[0]
    return " ".join(first.split()[:words])


# Where a self-description or a job ad names the job: "I worked as a X in ...", "I am an X",
# "experienced X", "Job title: X", "Position: X", "Wanted: X", "we are hiring a X", "X wanted".
# The phrase ends at punctuation or at a word that starts a place/time/extra clause.
_STOP = (r"(?=\s+(?:in|at|for|with|since|from|to|and|who|that|on|during|years?|yrs?)\b"
         r"|[.,;:!?()\n|/]|$)")
_TITLE_PATTERNS = [re.compile(p, re.IGNORECASE) for p in (
    r"\b(?:worked|work|working|employed|experience|served|job|jobs)\s+as\s+(?:an?\s+|the\s+)?"
    r"(?P<t>[^.,;:!?()\n]{3,60}?)" + _STOP,
    r"\bI\s*(?:am|'m|was)\s+(?:an?\s+)(?:experienced\s+|skilled\s+|professional\s+|trained\s+)?"
    r"(?P<t>[^.,;:!?()\n]{3,60}?)" + _STOP,
    r"\b(?:experienced|skilled|professional|qualified|certified)\s+(?P<t>[^.,;:!?()\n]{3,60}?)"
    + _STOP,
    r"\b(?:job\s*title|job|position|post|role|vacancy|wanted|hiring|trade|profession|occupation)"
    r"\s*[:\-–]\s*(?:an?\s+)?(?P<t>[^.,;:!?()\n]{3,60}?)" + _STOP,
    r"\b(?:looking\s+for|hiring|recruiting|seeking|need|needs)\s+(?:an?\s+|\d+\s+)"
    r"(?P<t>[^.,;:!?()\n]{3,60}?)" + _STOP,
    r"(?P<t>[^.,;:!?()\n]{3,60}?)\s+(?:wanted|needed|required)\b",
)]
_NOT_TITLE = frozenset("honest hard ready good able very willing looking interested".split())


def title_phrases(text: str, limit: int = 3) -> list[str]:
    """Return up to ``limit`` phrases where ``text`` names a job ("I worked as a X in ...")."""
    out: list[str] = []
    for pat in _TITLE_PATTERNS:
        for m in pat.finditer(text[:3000]):
            t = " ".join(m.group("t").split()[:8]).strip(" -–'\"")
            words = t.lower().split()
            if not words or words[0] in _NOT_TITLE or len(t) < 3 or t.lower() in (
                    o.lower() for o in out):
                continue
            out.append(t)
            if len(out) >= limit:
                return out
    return out
