"""The Bangla catalog covers every message of the pages, and no page text escapes the catalog."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from api.i18n.locale import CATALOGS
from registry.config import REPO_ROOT

CFG = REPO_ROOT / "api" / "i18n" / "babel.cfg"
PO = CATALOGS / "bn" / "LC_MESSAGES" / "messages.po"
TEMPLATES = REPO_ROOT / "api" / "templates"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# Words a Bangla page keeps in Latin letters on purpose (names of standards, file types).
LATIN_OK: set[str] = set()


def extracted() -> dict[str, tuple[str, int]]:
    """Return every message the pages use: msgid → (file, line), extracted as Babel does."""
    with open(CFG, encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, CFG.name)
    out = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            REPO_ROOT, method_map, options_map):
        msgid = message[0] if isinstance(message, tuple) else message
        out[msgid] = (filename, lineno)
    return out


def catalog():  # type: ignore[no-untyped-def]
    with open(PO, "rb") as fh:
        return read_po(fh, locale="bn")


def test_extraction_finds_the_templates_and_the_python_names():
    found = {f for f, _ in extracted().values()}
    assert any(f.startswith("api/templates/") for f in found)
    assert "api/i18n/names.py" in found
    assert len(extracted()) > 80


def test_every_message_has_a_bangla_translation():
    bn = catalog()
    missing, empty, fuzzy, placeholders = [], [], [], []
    for msgid, where in extracted().items():
        entry = bn.get(msgid)
        if entry is None:
            missing.append((msgid, where))
        elif not entry.string:
            empty.append((msgid, where))
        elif entry.fuzzy:
            fuzzy.append((msgid, where))
        elif set(PLACEHOLDER.findall(msgid)) != set(PLACEHOLDER.findall(entry.string)):
            placeholders.append(msgid)
    assert not missing, f"not in {PO.name} (run pybabel update): {missing}"
    assert not empty, f"no Bangla yet: {empty}"
    assert not fuzzy, f"fuzzy (check, then remove the flag): {fuzzy}"
    assert not placeholders, f"placeholders differ from the English: {placeholders}"


def test_catalog_has_no_stale_messages():
    used = set(extracted())
    stale = [m.id for m in catalog() if m.id and m.id not in used]
    assert not stale, f"messages no page uses any more (run pybabel update): {stale}"


def test_no_compiled_catalog_can_go_stale():
    # The app compiles the .po in memory when first used (api.i18n.locale.translations).
    assert not list(Path(CATALOGS).rglob("*.mo"))


def _bare_text(source: str) -> str:
    """Return a template's text that is outside every trans block, tag, expression and comment."""
    source = re.sub(r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}", " ", source, flags=re.S)
    source = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", " ", source, flags=re.S)
    source = re.sub(r"<(svg|style|script)\b.*?</\1>", " ", source, flags=re.S)
    source = re.sub(r"<[^>]*lang=\"en\"[^>]*>[^<]*<", "<", source)  # marked English
    return re.sub(r"<[^>]+>", " ", source)


def test_templates_have_no_text_outside_the_catalog():
    words = {}
    for path in sorted(TEMPLATES.glob("*.html")):
        latin = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9.]*", _bare_text(path.read_text()))
                 if w not in LATIN_OK]
        if latin:
            words[path.name] = latin
    assert not words, f"text not in {{% trans %}} or _() (so never translated): {words}"
