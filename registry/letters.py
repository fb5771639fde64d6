"""Demand letters: the uploaded PDF or image an agency submits a job order with.

A letter is checked by its first bytes (never by its name or the client's content type), kept
at most ``MAX_LETTER_BYTES``, and stored once under ``var/letters/`` by its SHA-256 (the job
order records the digest; the same letter uploaded twice is one file).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Final

from registry.service import InvalidRecordError

MAX_LETTER_BYTES: Final = 5 * 1024 * 1024
# Magic bytes → (media type, file extension).
_KINDS: Final = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)
_SAFE_NAME: Final = str.maketrans(dict.fromkeys('/\\:*?"<>|\x00', "_"))


def kind_of(data: bytes) -> tuple[str, str]:
    """Return (media type, extension) of a letter, or raise InvalidRecordError naming the file."""
    if not data:
        raise InvalidRecordError("demand_letter: the file is empty")
    if len(data) > MAX_LETTER_BYTES:
        raise InvalidRecordError(f"demand_letter: the file is {len(data)} bytes; at most "
                                 f"{MAX_LETTER_BYTES} (5 MiB)")
    for magic, media, ext in _KINDS:
        if data.startswith(magic):
            return media, ext
    raise InvalidRecordError("demand_letter: not a PDF, JPEG or PNG file (checked by its "
                             "content, not its name)")


def letters_dir(var_dir: Path) -> Path:
    """Directory of stored demand letters."""
    return var_dir / "letters"


def store(var_dir: Path, data: bytes) -> str:
    """Check and store a letter; return its SHA-256 (hex). Written atomically, once."""
    _, ext = kind_of(data)
    digest = hashlib.sha256(data).hexdigest()
    folder = letters_dir(var_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest}.{ext}"
    if not target.exists():
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return digest


def find(var_dir: Path, digest: str) -> tuple[Path, str] | None:
    """Return the stored letter with this digest and its media type, or None."""
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        return None
    for _, media, ext in _KINDS:
        path = letters_dir(var_dir) / f"{digest}.{ext}"
        if path.exists():
            return path, media
    return None


def safe_filename(name: str | None) -> str | None:
    """The client's file name, without path parts or characters unsafe in a header."""
    if not name:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1].translate(_SAFE_NAME).strip()
    base = "".join(c for c in base if c.isprintable())[:200]
    return base or None
