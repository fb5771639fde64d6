"""The Bengali font the pages serve: a WOFF2 cut of Hind Siliguri that still has a glyph for
every Bangla character the pages can show (the catalog, the Bangla names, the rendered pages),
every shaping feature of the original, and its licence; the rest of a Bangla page is in scripts
that every system font draws."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from fontTools.ttLib import TTFont

from api.app import create_app
from api.assets import BENGALI_UNICODES, FONT, assets_for, parse_ranges, source_font
from api.i18n.locale import CATALOGS
from registry.config import REPO_ROOT

IN_FACE = set(parse_ranges(BENGALI_UNICODES))
WORKER_PAGES = ("/worker", "/worker/profile", "/worker/report-fee", "/worker/complain",
                "/worker/reports")


def system_drawn(ch: str) -> bool:
    """Latin (with its accents), general punctuation and currency signs: every phone's fonts."""
    cp = ord(ch)
    return cp < 0x250 or 0x2000 <= cp <= 0x206F or 0x20A0 <= cp <= 0x20CF or ch in "−×✓"


@pytest.fixture(scope="module")
def client(seeded):
    with TestClient(create_app(seeded["settings"], indexer=seeded["indexer"],
                               warm_up=False)) as c:
        yield c


@pytest.fixture(scope="module")
def cut(seeded) -> TTFont:
    data = assets_for(seeded["settings"].cache_dir).files()[FONT].body
    return TTFont(io.BytesIO(data))


def bangla_texts(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Every text a Bangla page can show: the catalog, the Bangla names, rendered pages."""
    with open(CATALOGS / "bn" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        texts = {"catalog": "".join(str(m.string) for m in read_po(fh, locale="bn") if m.id)}
    for path in sorted((REPO_ROOT / "matcher" / "bangla").glob("*.t[sx][vt]")):
        texts[path.name] = path.read_text(encoding="utf-8")
    texts["/login"] = client.get("/login?lang=bn").text
    client.post("/login", data={"username": "worker", "password": "shetu-demo"})
    job = re.search(r'href="(/worker/jobs/\d+)"', client.get("/worker?lang=bn").text)
    assert job, "no job on the worker's page"
    for path in (*WORKER_PAGES, job[1], "/worker/jobs/999999"):
        texts[path] = client.get(path).text
    return texts


def test_the_cut_has_a_glyph_for_every_bangla_character_the_pages_show(client, cut):
    cmap = cut.getBestCmap()
    texts = bangla_texts(client)
    assert "আপনি যেসব চাকরির যোগ্য" in texts["/worker"]  # the pages really are in Bangla
    used = {ch for text in texts.values() for ch in text if not ch.isspace()}
    bengali = {ch for ch in used if 0x0980 <= ord(ch) <= 0x09FF}
    assert len(bengali) > 50, sorted(bengali)
    missing = sorted(ch for ch in used if ord(ch) in IN_FACE and ord(ch) not in cmap)
    assert not missing, f"characters the served font cannot draw: {missing}"
    outside = sorted({f"{ch} U+{ord(ch):04X}" for ch in used
                      if ord(ch) not in IN_FACE and not system_drawn(ch)})
    assert not outside, f"characters neither the served font nor a system font draws: {outside}"


def test_the_cut_keeps_the_shaping_and_drops_what_the_pages_do_not_need(cut):
    src = TTFont(str(source_font()))
    for table in ("GSUB", "GPOS"):
        tags = {r.FeatureTag for r in src[table].table.FeatureList.FeatureRecord}
        kept = {r.FeatureTag for r in cut[table].table.FeatureList.FeatureRecord}
        assert kept == tags, (table, tags - kept)  # conjuncts, reph, vowel signs, marks
    assert set(cut.getBestCmap()) == {cp for cp in IN_FACE if cp in src.getBestCmap()}
    assert "fpgm" not in cut and "glyf" in cut  # hinting dropped, outlines kept
    names = {r.nameID: r.toUnicode() for r in cut["name"].names}
    assert names[1] == "Hind Siliguri" and "Open Font License" in names[13]
    assert "Indian Type Foundry" in names[0]


def test_the_cut_is_made_once_and_the_same_every_time(tmp_path):
    from api.assets import Assets, cut_font

    first = Assets(tmp_path).files()[FONT].body
    assert first == cut_font(source_font())  # no time stamp: the same bytes, the same URL
    cached = list(Path(tmp_path, "fonts").glob("*.woff2"))
    assert len(cached) == 1 and cached[0].read_bytes() == first
    assert len(first) < Path(source_font()).stat().st_size / 5
