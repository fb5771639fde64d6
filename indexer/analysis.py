"""Text analysis shared by both backends: one analyser, one query-token rule.

The embedded backend registers :func:`text_analyzer` as its tantivy tokenizer (under the name
``en_stem`` its index schema has always used); the Elasticsearch backend runs the same analyser
client-side and indexes the resulting tokens with the ``whitespace`` analyser
(:data:`ES_TEXT_MAPPING`), so both hold exactly the same terms, for English and Bangla text
alike, and BM25 sees the same term statistics. (The integration-test ES distribution has no
``analysis-common`` module, hence no stemmer to reproduce the analyser server-side.)

The analyser: tantivy's simple tokenizer (runs of alphanumeric characters — Bangla vowel signs
count as alphanumeric, the virama splits), tokens of :data:`MAX_TOKEN_BYTES` bytes or more
dropped, lower-cased, English Snowball stemmer.

A keyword query keeps its first :data:`MAX_QUERY_TERMS` distinct words (lower-cased, before
stemming) and analyses them like a document. Words are found by the analyser's own tokenizer:
a regex ``\\w+`` (used here before) splits Bangla words at every vowel sign, so a Bangla query
matched nothing.
"""

from __future__ import annotations

import threading
from typing import Any

import tantivy

MAX_QUERY_TERMS = 64  # distinct words of a keyword query that are searched
MAX_TOKEN_BYTES = 40  # tantivy's en_stem drops tokens this long or longer
TOKENIZER_NAME = "en_stem"  # the name in the embedded index's schema
ES_TEXT_MAPPING: dict[str, Any] = {"type": "text", "analyzer": "whitespace"}  # pre-analysed

_lock = threading.Lock()
_analyzers: dict[str, Any] = {}


def _build(stem: bool) -> Any:
    b = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
         .filter(tantivy.Filter.remove_long(MAX_TOKEN_BYTES))
         .filter(tantivy.Filter.lowercase()))
    if stem:
        b = b.filter(tantivy.Filter.stemmer("english"))
    return b.build()


def _analyzer(kind: str) -> Any:
    a = _analyzers.get(kind)
    if a is None:
        with _lock:
            a = _analyzers.get(kind)
            if a is None:
                a = _analyzers[kind] = _build(kind == "text")
    return a


def text_analyzer() -> Any:
    """Return the document analyser (a ``tantivy.TextAnalyzer``)."""
    return _analyzer("text")


def analyse(text: str | None) -> list[str]:
    """Return the index tokens of ``text`` (in order, repeats kept)."""
    return list(_analyzer("text").analyze(text or ""))


def query_tokens(text: str | None) -> list[str]:
    """Return the tokens a keyword query searches: its first 64 distinct words, analysed."""
    words = list(dict.fromkeys(_analyzer("words").analyze(text or "")))[:MAX_QUERY_TERMS]
    return analyse(" ".join(words))


def es_text(text: str | None) -> str:
    """Return the value stored in Elasticsearch's ``text`` field: the tokens, space-separated."""
    return " ".join(analyse(text))
