"""The pages' static files under content-hashed URLs, and the Bengali web font cut for them.

Every stylesheet, script and font a page links is served at its plain path
(``/static/shetu.css``, cached for an hour) and at a path carrying a hash of its content
(``/static/shetu.3f2a9c1b04de.css``, cached for a year as immutable). Pages link the hashed one
(the ``asset()`` template global), so a changed file is a new URL and a repeat visit asks for
nothing. A stylesheet's ``url("/static/...")`` references are rewritten to their hashed URLs.

The font is Hind Siliguri Regular (SIL Open Font License 1.1) from the PyPI package
fontpkg-hind-siliguri, cut with fontTools to what the stylesheet's ``unicode-range`` sends to it
(the Bengali block, the dandas, ZWNJ/ZWJ and the dotted circle), with every OpenType layout
feature kept (conjuncts, vowel signs, mark positions), the hinting dropped and the name table's
copyright and licence entries kept, then compressed as WOFF2 (brotli): about 38 KB instead of the
package's 250 KB TTF. It is made at first use and kept in the settings' cache directory, under a
name that is the hash of the source font and of the cut's settings. Latin letters, digits and
punctuation are drawn by the system's own font; bold Bangla is the regular face emboldened by the
browser: a second weight would double the bytes a first visit on a slow link waits for.
The licence text is served at ``/static/fonts/OFL.txt`` (linked from every page's footer).
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from dataclasses import dataclass
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
FONT = "fonts/hind-siliguri-bengali.woff2"
LICENCE = "fonts/OFL.txt"
# What the @font-face's unicode-range sends to the face; the cut keeps exactly these.
BENGALI_UNICODES = "U+0964-0965,U+0980-09FE,U+200C-200D,U+25CC"
SUBSET_VERSION = "2"  # change with the cut's settings below: a new cached file and a new URL
TEXT_FILES = {"shetu.css": "text/css", "worker.css": "text/css", "audit.css": "text/css",
              "worker-skills.js": "text/javascript"}
HASHED = re.compile(r"^(?P<stem>[\w-]+)\.(?P<digest>[0-9a-f]{12})\.(?P<ext>[a-z0-9]+)$")
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=3600"


@dataclass(frozen=True, slots=True)
class Asset:
    """A static file's bytes, its media type and its content hash."""

    body: bytes
    media_type: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.body).hexdigest()[:12]


def parse_ranges(spec: str) -> list[int]:
    """The code points of a CSS ``unicode-range`` list such as ``U+0964-0965,U+25CC``."""
    points: list[int] = []
    for part in spec.split(","):
        lo, _, hi = part.strip().removeprefix("U+").partition("-")
        points.extend(range(int(lo, 16), int(hi or lo, 16) + 1))
    return points


def source_font() -> Path:
    """The packaged Hind Siliguri Regular TTF the cut is made from."""
    from fontpkg_hind_siliguri import ROOT

    return Path(ROOT) / "files" / "HindSiliguri-Regular.ttf"


def licence_text() -> bytes:
    """The font's OFL-1.1 licence text, as its package ships it."""
    from fontpkg_hind_siliguri import ROOT

    return (Path(ROOT) / "LICENSE").read_bytes()


def cut_font(src: Path) -> bytes:
    """Return the WOFF2 subset of ``src`` for ``BENGALI_UNICODES`` (see the module's note)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]  # Bengali shaping needs every GSUB/GPOS feature
    options.hinting = False  # half the bytes; phones' rasterisers do not use TrueType hints
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # copyright, names, licence and its URL
    options.notdef_outline = True
    font = TTFont(str(src), recalcTimestamp=False)  # the same bytes (and URL) on every cut
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=parse_ranges(BENGALI_UNICODES))
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = "woff2"
    font.save(out)
    return out.getvalue()


def cached_font(cache_dir: Path) -> bytes:
    """The cut font, made once per source font and settings and kept under ``cache_dir``."""
    src = source_font()
    from fontTools import version as fonttools_version

    key = hashlib.sha256(src.read_bytes() + f"|{BENGALI_UNICODES}|{SUBSET_VERSION}|"
                         f"{fonttools_version}".encode()).hexdigest()[:16]
    path = Path(cache_dir) / "fonts" / f"hind-siliguri-bengali-{key}.woff2"
    if path.exists():
        return path.read_bytes()
    data = cut_font(src)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)  # atomic: a concurrent reader sees the whole file or none
    return data


class Assets:
    """The static files of one app (its font cache under ``cache_dir``), built on first use."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = Path(cache_dir)
        self._lock = threading.Lock()
        self._files: dict[str, Asset] | None = None

    def files(self) -> dict[str, Asset]:
        with self._lock:
            if self._files is None:
                self._files = self._build()
            return self._files

    def _build(self) -> dict[str, Asset]:
        files = {FONT: Asset(cached_font(self.cache_dir), "font/woff2"),
                 LICENCE: Asset(licence_text(), "text/plain; charset=utf-8")}
        for name, media_type in TEXT_FILES.items():  # after the fonts: CSS links their URLs
            body = (STATIC / name).read_bytes()
            if media_type == "text/css":
                body = re.sub(rb'url\("/static/([^"]+)"\)', lambda m: b'url("%s")' % (
                    _hashed_url(m.group(1).decode(), files).encode()), body)
            files[name] = Asset(body, media_type)
        return files

    def url(self, name: str) -> str:
        """The hashed URL of asset ``name`` (a KeyError for an unknown name)."""
        return _hashed_url(name, self.files())

    def lookup(self, path: str) -> tuple[Asset, str] | None:
        """The asset at ``path`` (below /static/, plain or hashed) and its Cache-Control."""
        files = self.files()
        folder, _, name = path.rpartition("/")
        m = HASHED.match(name)
        if m:
            plain = f"{m['stem']}.{m['ext']}"
            plain = f"{folder}/{plain}" if folder else plain
            found = files.get(plain)
            if found is not None and found.digest == m["digest"]:
                return found, IMMUTABLE
            return None
        found = files.get(path)
        return (found, SHORT) if found is not None else None


def _hashed_url(name: str, files: dict[str, Asset]) -> str:
    stem, _, ext = name.rpartition(".")
    return f"/static/{stem}.{files[name].digest}.{ext}"


_stores: dict[Path, Assets] = {}
_stores_lock = threading.Lock()


def assets_for(cache_dir: Path) -> Assets:
    """The one ``Assets`` of a cache directory (shared by the apps of a process)."""
    with _stores_lock:
        return _stores.setdefault(Path(cache_dir), Assets(Path(cache_dir)))
