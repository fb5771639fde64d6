"""The embedded backend passes the shared contract, persists, and sees another process's swap."""

from __future__ import annotations

import pytest

from indexer.embedded import EmbeddedBackend
from indexer.protocol import IndexSchema
from indexer.testing import DIM, FIELDS, SearchBackendContract, doc


class TestEmbeddedBackend(SearchBackendContract):
    @pytest.fixture
    def backend(self, tmp_path):
        b = EmbeddedBackend(tmp_path / "index")
        yield b
        b.close()


def test_state_survives_close_and_reopen(tmp_path):
    schema = IndexSchema("w", FIELDS, DIM)
    b = EmbeddedBackend(tmp_path)
    b.ensure_index(schema)
    b.upsert("w", [doc(i, text=f"plumber pipes {i}") for i in range(1, 8)])
    b.delete("w", 3, version=2)
    b.close()
    b2 = EmbeddedBackend(tmp_path)
    b2.ensure_index(schema)
    assert b2.count("w") == 6
    assert {h.id for h in b2.search("w", text="plumber", vector=None, k=10)} == {1, 2, 4, 5, 6, 7}
    # The tombstone survived too: a late, older create stays deleted.
    assert b2.upsert("w", [doc(3, version=1)]) == 0
    b2.close()


def test_a_reader_sees_a_rebuild_done_by_another_instance(tmp_path):
    schema = IndexSchema("w", FIELDS, DIM)
    server, cli = EmbeddedBackend(tmp_path), EmbeddedBackend(tmp_path)
    for b in (server, cli):
        b.ensure_index(schema)
    server.upsert("w", [doc(i) for i in range(1, 4)])
    server.close()
    physical = cli.begin_rebuild("w")
    cli.upsert_into(physical, [doc(i, version=2) for i in range(1, 10)])
    cli.commit_rebuild("w", physical)
    assert server.count("w") == 9
    server.close()
    cli.close()
