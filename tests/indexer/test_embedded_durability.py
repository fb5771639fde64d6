"""Embedded index: no value can brick it, and a crash loses no acknowledged write.

The crash tests run a writer in a child process, ``kill -9`` it while it writes, and reopen the
index here: every write the child saw acknowledged (``upsert`` returned) must be back.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from indexer.embedded import EmbeddedBackend, masks
from indexer.protocol import Document, IndexSchema, InvalidDocumentError
from indexer.testing import DIM, FIELDS, doc
from registry.config import REPO_ROOT

SCHEMA = IndexSchema("w", FIELDS, DIM)


def _open(root: Path, **kw) -> EmbeddedBackend:
    b = EmbeddedBackend(root, **kw)
    b.ensure_index(SCHEMA)
    return b


def _tantivy_ids(b: EmbeddedBackend) -> list[int]:
    """Every id the text index holds (duplicates included)."""
    return b.keyword_ids("w")


# -- finding 1: values -------------------------------------------------------------------------

def test_seventy_one_languages_then_more_workers_with_new_languages(tmp_path):
    """One document with 71 values, then others with new ones: all indexed and filterable."""
    b = _open(tmp_path)
    b.upsert("w", [doc(1, tags=[f"L{i}" for i in range(71)])])
    for i in range(2, 40):
        b.upsert("w", [doc(i, tags=["L0", f"new{i}"])])
    assert b.count("w") == 39
    assert b.count("w", [{"field": "tags", "op": "eq", "value": "new39"}]) == 1
    assert b.count("w", [{"field": "tags", "op": "eq", "value": "L70"}]) == 1
    assert b.count("w", [{"field": "tags", "op": "all", "value": ["L0", "L70"]}]) == 1
    assert b.count("w", [{"field": "tags", "op": "eq", "value": "L0"}]) == 39
    assert b.count("w", [{"field": "tags", "op": "in", "value": ["new5", "L64"]}]) == 2
    b.close()
    b2 = _open(tmp_path)  # and after a reopen
    assert b2.count("w", [{"field": "tags", "op": "all", "value": ["L0", "new7"]}]) == 1
    assert b2.count("w", [{"field": "tags", "op": "eq", "value": "L65"}]) == 1
    b2.close()


def test_values_past_the_bit_matrix_use_postings_and_persist(tmp_path, monkeypatch):
    monkeypatch.setattr(masks, "BITMAP_VALUES", 70)
    b = _open(tmp_path)
    b.upsert("w", [doc(i, tags=[f"v{i}", f"v{i + 1}", "all"]) for i in range(1, 120)])
    want = {
        ("eq", "v100"): {99, 100},
        ("in", ("v5", "v100", "v119")): {4, 5, 99, 100, 118, 119},
        ("all", ("v100", "v101")): {100},
        ("all", ("all", "v3", "v90")): set(),
        ("all", ("v69", "v70")): {69},  # one value in the matrix, one past it
    }

    def check(backend: EmbeddedBackend) -> None:
        for (op, value), ids in want.items():
            v = list(value) if isinstance(value, tuple) else value
            f = [{"field": "tags", "op": op, "value": v}]
            assert backend.count("w", f) == len(ids), (op, value)
            hits = backend.search("w", text="document", vector=None, filters=f, k=500)
            assert {h.id for h in hits} == ids, (op, value)

    check(b)
    b.upsert("w", [doc(100, version=2, tags=["v1"])])  # leaves the postings of v100/v101
    want[("eq", "v100")] = {99}
    want[("all", ("v100", "v101"))] = set()
    want[("in", ("v5", "v100", "v119"))] = {4, 5, 99, 118, 119}
    check(b)
    b.close()
    check(_open(tmp_path))


def test_format_2_state_files_still_load(tmp_path):
    """An index written before the bit matrix (one int64 bit set per row) opens and filters."""
    b = _open(tmp_path)
    b.upsert("w", [doc(i, tags=["x", "y"] if i % 2 else ["y"]) for i in range(1, 11)])
    b.close()
    vdir = tmp_path / "w" / (tmp_path / "w" / "CURRENT").read_text()
    st = pickle.loads((vdir / "state.pkl").read_bytes())
    bits = st["columns"]["tags"]
    st["columns"]["tags"] = bits[0].astype(np.int64)  # format 2: 1-D int64
    for k in ("extra", "journal_gen"):
        st.pop(k)
    st["format"] = 2
    (vdir / "state.pkl").write_bytes(pickle.dumps(st))
    for f in vdir.glob("journal-*.wal"):
        f.unlink()
    b2 = _open(tmp_path)
    assert b2.count("w", [{"field": "tags", "op": "all", "value": ["x", "y"]}]) == 5
    assert b2.count("w", [{"field": "tags", "op": "eq", "value": "y"}]) == 10
    b2.upsert("w", [doc(20, tags=[f"t{i}" for i in range(80)])])
    assert b2.count("w", [{"field": "tags", "op": "eq", "value": "t79"}]) == 1
    b2.close()


def test_a_document_the_index_cannot_hold_changes_nothing(tmp_path):
    b = _open(tmp_path)
    b.upsert("w", [doc(1)])
    bad = [doc(2), doc(3, level=2**70), doc(4)]
    with pytest.raises(InvalidDocumentError, match="level"):
        b.upsert("w", bad)
    with pytest.raises(InvalidDocumentError, match="born"):
        b.upsert("w", [doc(5, born="not a date")])
    with pytest.raises(InvalidDocumentError, match="dimensions"):
        b.upsert("w", [Document(id=6, version=1, text="x", vector=np.ones(3), fields={})])
    assert b.versions("w") == {1: 1}
    assert _tantivy_ids(b) == [1]
    # The good documents go in once the bad one is left out.
    assert b.upsert("w", [bad[0], bad[2]]) == 2
    b.close()
    assert _open(tmp_path).versions("w") == {1: 1, 2: 1, 4: 1}


# -- finding 2: durability -----------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {repo!r})
    from indexer.embedded import EmbeddedBackend
    from indexer.protocol import IndexSchema
    from indexer.testing import DIM, FIELDS, doc

    b = EmbeddedBackend({root!r}, flush_interval_s={interval!r})
    b.ensure_index(IndexSchema("w", FIELDS, DIM))
    i = 0
    while True:
        i += 1
        doc_id = i % 37 + 1 if i % 3 else 1000 + i      # updates and creates
        if i % 11 == 0:
            b.delete("w", doc_id, i)
            print("D", doc_id, i, flush=True)
        else:
            b.upsert("w", [doc(doc_id, version=i, text=f"mason tiles w{{i}}",
                               tags=[f"t{{i % 40}}"])])
            print("U", doc_id, i, flush=True)
""")


def _crash_writer(root: Path, acks: int, interval: float) -> dict[int, tuple[str, int]]:
    """Run a writer, kill -9 it after ``acks`` acknowledged writes; return the last per id."""
    code = WRITER.format(repo=str(REPO_ROOT), root=str(root), interval=interval)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    last: dict[int, tuple[str, int]] = {}
    n = 0
    try:
        deadline = time.monotonic() + 120
        while n < acks and time.monotonic() < deadline:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                break
            op, doc_id, version = line.split()
            last[int(doc_id)] = (op, int(version))
            n += 1
        assert n == acks, proc.stderr.read()  # type: ignore[union-attr]
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # mid-stream: it was writing the next one
        proc.wait()
    # Anything it printed before dying was acknowledged too.
    for line in proc.stdout:  # type: ignore[union-attr]
        op, doc_id, version = line.split()
        last[int(doc_id)] = (op, int(version))
    return last


@pytest.mark.parametrize("interval", [2.0, 0.05])
def test_kill_9_loses_no_acknowledged_write(tmp_path, interval):
    """Snapshots every 2 s (journal replay) or very often (crash between snapshot steps)."""
    last = _crash_writer(tmp_path, 300, interval)
    b = _open(tmp_path)
    versions = b.versions("w")
    live = {i: v for i, (op, v) in last.items() if op == "U"}
    deleted = {i for i, (op, _) in last.items() if op == "D"}
    lost = {i: v for i, v in live.items() if versions.get(i, 0) < v}
    print(f"\nacknowledged: {len(last)} documents ({len(live)} live, {len(deleted)} deleted); "
          f"found after kill -9: {len(live) - len(lost)} live at >= their version, "
          f"{len(deleted & set(versions))} deleted ones resurrected")
    assert not lost
    assert not deleted & set(versions)
    # Searchable in both legs, exactly once in tantivy.
    assert _tantivy_ids(b) == sorted(versions)
    top = max(live, key=lambda i: live[i])
    hits = b.search("w", text=f"w{live[top]}", vector=None, k=5)
    assert [h.id for h in hits] == [top]
    # Writes continue after the recovery and survive another crash-free reopen.
    b.upsert("w", [doc(top, version=10**6)])
    b.close()
    b2 = _open(tmp_path)
    assert b2.versions("w")[top] == 10**6
    assert _tantivy_ids(b2) == sorted(b2.versions("w"))
    b2.close()


def test_a_torn_journal_record_is_ignored(tmp_path):
    b = _open(tmp_path, flush_interval_s=3600)
    b.upsert("w", [doc(i) for i in range(1, 6)])  # first write: snapshot, then journalled
    b.upsert("w", [doc(6)])
    b.upsert("w", [doc(7)])
    journal = b.stats("w").journal
    # Simulate kill -9 mid-append: drop the last record's tail and the writer's lock.
    b.abandon()
    size = journal.stat().st_size
    with open(journal, "r+b") as fh:
        fh.truncate(size - 10)
    b2 = _open(tmp_path)
    assert set(b2.versions("w")) == {1, 2, 3, 4, 5, 6}  # 7 was torn: never acknowledged
    b2.upsert("w", [doc(8)])  # appended after the torn record was cut off
    b2.abandon()
    b3 = _open(tmp_path)
    assert set(b3.versions("w")) == {1, 2, 3, 4, 5, 6, 8}
    assert _tantivy_ids(b3) == [1, 2, 3, 4, 5, 6, 8]
    b3.close()


def test_garbage_journal_never_fails_opening(tmp_path):
    b = _open(tmp_path)
    b.upsert("w", [doc(1)])
    b.close()
    vdir = tmp_path / "w" / (tmp_path / "w" / "CURRENT").read_text()
    gen = pickle.loads((vdir / "state.pkl").read_bytes())["journal_gen"]
    (vdir / f"journal-{gen}.wal").write_bytes(b"\xff" * 5 + os.urandom(100))
    b2 = _open(tmp_path)
    assert b2.versions("w") == {1: 1}
    b2.upsert("w", [doc(2)])
    b2.close()
    assert set(_open(tmp_path).versions("w")) == {1, 2}


def test_tantivy_ahead_of_an_old_snapshot_leaves_no_stray_documents(tmp_path):
    """Before the journal a crash left tantivy ahead of state.pkl: opening cleans that up."""
    b = _open(tmp_path, flush_interval_s=3600)
    b.upsert("w", [doc(1)])
    b.close()  # snapshot with id 1
    vdir = tmp_path / "w" / (tmp_path / "w" / "CURRENT").read_text()
    snapshot = (vdir / "state.pkl").read_bytes()
    b = _open(tmp_path, flush_interval_s=3600)
    b.upsert("w", [doc(2), doc(3)])
    b.close()
    (vdir / "state.pkl").write_bytes(snapshot)  # the old state, as after a crash before
    for f in vdir.glob("journal-*.wal"):
        f.unlink()
    b2 = _open(tmp_path)
    b2.upsert("w", [doc(4)])  # the first write takes the writer lock and cleans up
    assert _tantivy_ids(b2) == [1, 4]
    assert {h.id for h in b2.search("w", text="document", vector=None, k=10)} == {1, 4}
    b2.close()


def test_a_second_process_reads_the_journal_without_the_writer_lock(tmp_path):
    """``shetu index verify`` beside a running server sees its acknowledged writes."""
    server = _open(tmp_path, flush_interval_s=3600)
    server.upsert("w", [doc(i) for i in range(1, 4)])
    server.upsert("w", [doc(2, version=5)])
    server.delete("w", 3, 4)
    reader = _open(tmp_path)  # the server holds tantivy's writer lock
    assert reader.versions("w") == {1: 1, 2: 5}
    reader.close()  # takes no snapshot, removes nothing: it does not own the index
    server.upsert("w", [doc(9)])
    server.close()
    b = _open(tmp_path)
    assert b.versions("w") == {1: 1, 2: 5, 9: 1}
    b.close()


def test_opening_an_index_does_not_keep_the_writer_lock(tmp_path):
    """A reader replaying the journal (``shetu index verify``) lets the writer lock go."""
    b = _open(tmp_path, flush_interval_s=3600)
    b.upsert("w", [doc(1)])
    b.upsert("w", [doc(2)])
    b.abandon()  # as after kill -9: the journal holds both writes
    reader = _open(tmp_path)
    assert reader.versions("w") == {1: 1, 2: 1}
    server = _open(tmp_path)
    assert server.versions("w") == {1: 1, 2: 1}
    assert server.upsert("w", [doc(3)]) == 1  # not refused: the reader holds no lock
    server.close()
    assert _tantivy_ids(_open(tmp_path)) == [1, 2, 3]
