"""Persistence of one physical index version: the snapshot files and the write-ahead journal.

Files of a version folder (see :mod:`indexer.embedded`): ``state.pkl`` (a pickled dict, format
:data:`STATE_FORMAT`), ``vectors.npy`` (float32 rows) and ``journal-<g>.wal`` (every write
acknowledged since the snapshot whose ``journal_gen`` is ``g``). Each snapshot file is written
to a temporary name, fsync'ed and renamed into place, then the folder is fsync'ed.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

# 3: multi-valued keywords as a (words, rows) uint64 bit matrix + postings past BITMAP_VALUES.
# Formats 1 and 2 are read (and rewritten as 3 by the next snapshot).
STATE_FORMAT = 3
_FRAME = struct.Struct("<II")  # journal record header: payload length, CRC32 of the payload
_MAX_RECORD = 1 << 34


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable (best effort where unsupported)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Journal:
    """Append-only, fsync'ed write-ahead journal of one snapshot generation.

    A record is ``length (u32) | crc32 (u32) | payload`` with a pickled payload; reading stops
    at the first record that is short or fails its checksum (a torn append).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: BinaryIO | None = None

    def append(self, record: Any) -> None:
        """Append one record and fsync it (durable on return)."""
        payload = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        if self._fh is None:
            new = not self.path.exists()
            self._fh = open(self.path, "ab")  # noqa: SIM115 — kept open between appends
            if new:
                fsync_dir(self.path.parent)
        fh = self._fh
        fh.write(_FRAME.pack(len(payload), zlib.crc32(payload)))
        fh.write(payload)
        fh.flush()
        os.fsync(fh.fileno())

    @staticmethod
    def read(path: Path) -> Iterator[tuple[int, Any]]:
        """Yield ``(end offset, record)`` of every intact record, in order."""
        try:
            fh = open(path, "rb")  # noqa: SIM115
        except FileNotFoundError:
            return
        with fh:
            offset = 0
            while True:
                head = fh.read(_FRAME.size)
                if len(head) < _FRAME.size:
                    return
                length, crc = _FRAME.unpack(head)
                if length > _MAX_RECORD:
                    return
                payload = fh.read(length)
                if len(payload) < length or zlib.crc32(payload) != crc:
                    return
                try:
                    record = pickle.loads(payload)
                except Exception:  # noqa: BLE001 — a damaged record ends the journal
                    return
                offset += _FRAME.size + length
                yield offset, record

    def truncate(self, size: int) -> None:
        """Cut the journal to ``size`` bytes (drops a torn last record) and fsync it."""
        self.close()
        with open(self.path, "r+b") as fh:
            fh.truncate(size)
            os.fsync(fh.fileno())

    def size(self) -> int:
        """Return the journal's length in bytes (0 when it does not exist)."""
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def close(self) -> None:
        """Close the open file (the next append reopens it)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def remove_other_journals(folder: Path, keep: Path) -> None:
    """Delete every journal in ``folder`` but ``keep`` (older generations)."""
    for f in folder.glob("journal-*.wal"):
        if f != keep:
            with contextlib.suppress(OSError):
                f.unlink()


def disk_key(folder: Path, journal: Journal) -> tuple:
    """What identifies the on-disk state: the snapshot file and its journal's length."""
    try:
        st = (folder / "state.pkl").stat()
        snap: tuple = (st.st_ino, st.st_mtime_ns, st.st_size)
    except FileNotFoundError:
        snap = ()
    return snap, journal.size()


def read_snapshot(folder: Path) -> dict[str, Any] | None:
    """Return the snapshot dict, or None when the version has none yet."""
    state_file = folder / "state.pkl"
    if not state_file.exists():
        return None
    with open(state_file, "rb") as fh:
        state: dict[str, Any] = pickle.load(fh)
    return state


def read_vectors(folder: Path) -> np.ndarray:
    """Return the snapshot's vectors (memory-mapped, read-only)."""
    return np.load(folder / "vectors.npy", mmap_mode="r")


def write_snapshot(folder: Path, state: dict[str, Any], vectors: np.ndarray) -> None:
    """Write ``state.pkl`` and ``vectors.npy`` atomically and durably."""
    tmp = folder / "state.pkl.tmp"
    with open(tmp, "wb") as fh:
        pickle.dump({"format": STATE_FORMAT, **state}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        fh.flush()
        os.fsync(fh.fileno())
    vtmp = folder / "vectors.tmp.npy"
    with open(vtmp, "wb") as fh:
        np.save(fh, vectors)
        fh.flush()
        os.fsync(fh.fileno())
    vtmp.replace(folder / "vectors.npy")
    tmp.replace(folder / "state.pkl")
    fsync_dir(folder)
