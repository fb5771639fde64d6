"""A bulk drain encodes each distinct text once (rows without free text share one text), and
every document still gets exactly the vector its own text encodes to."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from support import make_settings

from indexer.documents import worker_document
from indexer.service import Indexer
from matcher.encoder import HashingEncoder
from registry.db import session_scope
from registry.intake import import_csv
from registry.migrate import upgrade
from registry.models import Worker


class CountingEncoder(HashingEncoder):
    """The hashing encoder, remembering every text it was asked to encode."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def encode(self, texts, **kw):  # type: ignore[no-untyped-def, override]
        self.seen.extend(texts)
        return super().encode(texts, **kw)


def test_each_distinct_text_is_encoded_once_and_vectors_are_exact(tmp_path, taxonomy):
    settings = make_settings(tmp_path)
    upgrade(settings.database_url)
    rows = ["full_name,nid_number,date_of_birth,gender,languages,self_description"]
    for i in range(300):  # 3 distinct free texts, and many rows with none
        text = ("", "I weld steel pipes", "", "Domestic helper, cooking and cleaning")[i % 4]
        rows.append(f"Bulk {i},{8_100_000_000_000 + i},1990-01-0{1 + i % 9},male,Bangla,{text}")
    with session_scope(settings.database_url) as s:
        assert import_csv(s, "workers", "\n".join(rows) + "\n", username="t").created == 300
    enc = CountingEncoder()
    ix = Indexer(settings, encoder=enc, taxonomy=taxonomy)
    while ix.drain_outbox(limit=100, max_batches=1):  # three batches: the cache spans them
        pass
    assert sorted(enc.seen) == sorted(set(enc.seen)) and len(enc.seen) <= 4
    reference = HashingEncoder()
    with session_scope(settings.database_url) as s:
        texts = {w.id: worker_document(w, taxonomy, None).text
                 for w in s.scalars(select(Worker).where(Worker.id.in_([1, 2, 150, 300])))}
    assert len(set(texts.values())) > 1  # not all the same text
    for doc_id, text in texts.items():
        doc = ix.backend.get("workers", doc_id)
        assert doc is not None
        assert np.allclose(doc.vector, reference.encode([text])[0])
    ix.backend.close()
