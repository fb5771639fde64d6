"""Normalisation: free text → ESCO occupations / skills (matcher.normalise, api.cli.taxonomy)."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import numpy as np
import pytest
from support import CONCEPTS, OCC  # the six toy occupations shared by the ranker tests

from api.cli.taxonomy import stream_rank
from matcher.encoder import HashingEncoder
from matcher.normalise import (
    Concept,
    ConceptRanker,
    clean_query,
    is_bangla,
    translate_bangla,
)


class CountingEncoder(HashingEncoder):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.texts = 0

    def encode(self, texts, **kw):  # type: ignore[override]
        self.calls += 1
        self.texts += len(texts)
        return super().encode(texts, **kw)


@pytest.fixture
def ranker(tmp_path: Path) -> ConceptRanker:
    return ConceptRanker("occupations", CONCEPTS, HashingEncoder(), cache_dir=tmp_path,
                         show_progress=False)


def test_title_ranks_occupation_with_matching_alt_label_first(ranker: ConceptRanker) -> None:
    res = ranker.rank("tile setter", top_k=3)
    assert res[0]["label"] == "tile fitter"
    assert res[0]["code"] == "7122.4" and res[0]["uri"] == OCC + "tile"
    assert set(res[0]) == {"uri", "code", "label", "score"}
    assert all(a["score"] >= b["score"] for a, b in zip(res, res[1:], strict=False))


def test_rank_many_keeps_input_order_and_empty_lines_get_empty_results(
        ranker: ConceptRanker) -> None:
    out = ranker.rank_many(["welder", "", "   ", "bus driver", "\x00\x01"], top_k=2)
    assert len(out) == 5
    assert out[0][0]["label"] == "welder"
    assert out[1] == [] and out[2] == [] and out[4] == []
    assert out[3][0]["label"] == "bus driver"


def test_garbage_gets_no_results(ranker: ConceptRanker) -> None:
    assert ranker.rank("zxqv qwpl kkjh", top_k=5) == []
    assert ranker.rank("!!! ??? ...", top_k=5) == []


def test_very_long_and_non_utf8_inputs_do_not_crash_or_hang(ranker: ConceptRanker) -> None:
    long = "experienced welder for steel structures. " * 2500  # ~100 KB
    t = time.time()
    res = ranker.rank(long, top_k=3)
    assert time.time() - t < 5
    assert res and res[0]["label"] == "welder"
    assert ranker.rank(b"\xff\xfe welder \xc3", top_k=1)[0]["label"] == "welder"
    assert clean_query(b"a\xffb") == "a b"
    assert "\x00" not in clean_query("a\x00b")


def test_embeddings_are_cached_on_disk_and_reused(tmp_path: Path) -> None:
    enc = CountingEncoder()
    ConceptRanker("occupations", CONCEPTS, enc, cache_dir=tmp_path, show_progress=False)
    first = enc.texts
    assert first >= sum(1 + len(c.alt_labels) for c in CONCEPTS)
    assert list(tmp_path.glob("occupations-*.npz"))
    enc.texts = 0
    again = ConceptRanker("occupations", CONCEPTS, enc, cache_dir=tmp_path, show_progress=False)
    assert enc.texts == 0
    assert again.label_vecs.shape == (len(again.entries), enc.dim)
    # a changed taxonomy gets a new cache entry instead of stale vectors
    ConceptRanker("occupations", [*CONCEPTS, Concept(OCC + "x", "cook", (), "cook")], enc,
                  cache_dir=tmp_path, show_progress=False)
    assert enc.texts > 0
    assert len(list(tmp_path.glob("occupations-*.npz"))) == 2


def test_leave_one_out_exclusion_hides_the_label(ranker: ConceptRanker) -> None:
    e = ranker.entry_key[(0, "tile setter")]
    with_label = ranker.signals(["tile setter"])["dense_label"][0, 0]
    without = ranker.signals(["tile setter"], exclude=[e])["dense_label"][0, 0]
    assert with_label > 0.99 and without < with_label


def test_bangla_is_detected_and_translated(ranker: ConceptRanker) -> None:
    q = "আমি একজন রাজমিস্ত্রি, ইট গাঁথার কাজ জানি"
    assert is_bangla(q) and not is_bangla("I am a mason")
    assert "mason" in translate_bangla(q)
    assert ranker.rank(q, top_k=1)[0]["label"] == "bricklayer"
    assert ranker.rank("আমি ওয়েল্ডার", top_k=1, lang="bn")[0]["label"] == "welder"
    assert translate_bangla("আজ আবহাওয়া ভালো") == ""  # no trade word → nothing ranked
    assert ranker.rank("আজ আবহাওয়া ভালো") == []


def test_cli_stream_writes_one_json_line_per_input_line_in_order(ranker: ConceptRanker) -> None:
    stdin = io.BytesIO("welder\n\nbus driver\n\xff\xfe\nhouse cleaner\n".encode("utf-8",
                                                                           "surrogateescape")
                       .replace(b"\xc3\xbf\xc3\xbe", b"\xff\xfe"))
    out = io.StringIO()
    n = stream_rank(ranker, stdin, out, top_k=2, lang=None)
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert n == len(lines) == 5
    assert [x["query"] for x in lines][::2] == ["welder", "bus driver", "house cleaner"]
    assert lines[0]["results"][0]["label"] == "welder"
    assert lines[1]["results"] == [] and lines[3]["results"] == []
    assert lines[4]["results"][0]["uri"] == OCC + "clean"
    assert np.isfinite([r["score"] for x in lines for r in x["results"]]).all()


# ---------------------------------------------------------------------------------------------
# The real packaged model on real ESCO (a trade-focused subset keeps this under a minute).
# ---------------------------------------------------------------------------------------------

TRADE_GROUPS = ("711", "712", "741", "721", "911", "912", "532", "833", "832", "815", "753")


@pytest.fixture(scope="module")
def real_ranker(tmp_path_factory: pytest.TempPathFactory) -> ConceptRanker:
    from matcher.encoder import PACKAGED, get_encoder
    from matcher.normalise import occupation_concepts
    from matcher.taxonomy import load_taxonomy
    from registry.config import get_settings

    s = get_settings()
    if not (Path(s.esco_dir) / "occupations_en.csv").exists():
        pytest.skip("ESCO data not available")
    tax = load_taxonomy(s.esco_dir, tmp_path_factory.mktemp("tax"))
    keep = {o.uri for o in tax.occupations.values() if o.isco_group[:3] in TRADE_GROUPS}
    concepts = [c for c in occupation_concepts(tax) if c.uri in keep]
    return ConceptRanker("occupations", concepts, get_encoder(PACKAGED),
                         cache_dir=tmp_path_factory.mktemp("cache"), show_progress=False)


def _labels(res: list[dict]) -> list[str]:
    return [r["label"] for r in res]


@pytest.mark.slow
def test_real_model_user_visible_behaviour(real_ranker: ConceptRanker) -> None:
    r = real_ranker
    assert "tile fitter" in _labels(r.rank("tile setter", top_k=5))
    assert "tile fitter" in _labels(r.rank("I laid tiles in Riyadh for six years", top_k=5))
    assert "welder" in _labels(r.rank("Welder needed for a construction company in Qatar. "
                                      "MIG/TIG welding of steel pipes, 3 years experience.", 5))
    bn = _labels(r.rank("আমি রাজমিস্ত্রি হিসেবে সৌদি আরবে ৫ বছর কাজ করেছি", top_k=10))
    assert {"bricklayer", "stonemason"} & set(bn)
    out = io.StringIO()
    stream_rank(r, io.BytesIO(b"electrician\n\n\xff\xfe\nbus driver\n"), out, top_k=3, lang=None)
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert len(lines) == 4 and lines[1]["results"] == [] and lines[2]["results"] == []
    assert "electrician" in _labels(lines[0]["results"])
    assert lines[3]["results"][0]["label"] == "bus driver"


def test_misspelt_titles_are_corrected_against_the_label_vocabulary(
        ranker: ConceptRanker) -> None:
    assert ranker.prepare("electrecian") == "electrician"
    assert ranker.prepare("weldre in Riyadh") == "welder in Riyadh"  # unknown words kept
    assert ranker.rank("wleder")[0]["uri"] == OCC + "weld"
    assert ranker.rank("bricklayre")[0]["uri"] == OCC + "brick"


def test_self_description_with_filler_lands_on_the_named_trade(ranker: ConceptRanker) -> None:
    text = ("I worked as a wireman in Dubai for 4 years. I am honest and hard working. "
            "I have a valid passport and I can work night shift in any country.")
    assert ranker.rank(text)[0]["uri"] == OCC + "elec"
