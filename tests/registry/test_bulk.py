"""registry.bulk.insert_many stores exactly what SQLAlchemy Core's insert stores."""

from __future__ import annotations

import datetime as dt

import pytest
from live_services import needs_postgres, throwaway_database
from sqlalchemy import create_engine, insert, select
from support import DATA_DIR

from registry.bulk import insert_many
from registry.models import Base, OutboxEvent, Worker

COLUMNS = ("full_name", "phone", "nid_number", "date_of_birth", "gender", "district",
           "religion", "passport_number", "passport_expiry", "medical_fit", "medical_date",
           "ntvqf_level", "certificates", "languages", "experience", "skills",
           "self_description", "bmet_registration", "consent")
FIXED = dt.datetime(2026, 1, 2, 3, 4, 5, 678901)


def _rows(taxonomy, n=120):
    from training.synthetic import generate

    data = generate(taxonomy, DATA_DIR, seed=3, workers=n, job_orders=3,
                    today=dt.date(2026, 6, 1))
    rows = [{c: r[c] for c in COLUMNS} | {"version": 1, "created_at": FIXED,
                                          "updated_at": FIXED} for r in data.workers]
    # the awkward values too: None in nullable columns, empty JSON lists, non-ASCII text
    rows[0] |= {"phone": None, "passport_expiry": None, "medical_date": None, "skills": [],
                "languages": [], "self_description": "আমি ৫ বছর রাজমিস্ত্রি ছিলাম"}
    return rows


def _dump(engine, table):
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(select(table).order_by(table.c.id))]


def _both(url_a: str, url_b: str, taxonomy) -> None:
    rows = _rows(taxonomy)
    outbox = [{"entity": "worker", "entity_id": i + 1, "version": 1, "op": "upsert",
               "created_at": FIXED} for i in range(len(rows))]
    a, b = create_engine(url_a), create_engine(url_b)
    for e in (a, b):
        Base.metadata.create_all(e)
    with a.begin() as c:
        c.execute(insert(Worker.__table__), rows)
        c.execute(insert(OutboxEvent.__table__), outbox)
    with b.begin() as c:
        assert insert_many(c, Worker.__table__, rows) == len(rows)
        assert insert_many(c, OutboxEvent.__table__, outbox) == len(outbox)
    for table in (Worker.__table__, OutboxEvent.__table__):
        got, want = _dump(b, table), _dump(a, table)
        assert len(got) == len(rows)
        assert got == want
    # and read back through the ORM as Python values
    from sqlalchemy.orm import Session

    with Session(b) as s:
        w = s.get(Worker, 1)
        assert w.skills == [] and w.passport_expiry is None and w.self_description.startswith("আমি")
        w2 = s.get(Worker, 2)
        assert w2.skills == rows[1]["skills"] and w2.date_of_birth == rows[1]["date_of_birth"]
        assert s.get(OutboxEvent, 5).attempts == 0  # the column default, as Core applies it
    a.dispose()
    b.dispose()


def test_insert_many_stores_what_core_stores_on_sqlite(tmp_path, taxonomy):
    _both(f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}", taxonomy)


@pytest.mark.integration
@needs_postgres
def test_insert_many_stores_what_core_stores_on_postgres(taxonomy):
    with throwaway_database() as url_a, throwaway_database() as url_b:
        _both(url_a, url_b, taxonomy)


def test_insert_many_refuses_ragged_rows_before_writing(tmp_path):
    e = create_engine(f"sqlite:///{tmp_path / 'c.db'}")
    Base.metadata.create_all(e)
    ok = {"entity": "worker", "entity_id": 1, "version": 1, "op": "upsert"}
    with e.begin() as c, pytest.raises(ValueError, match="row 1"):
        insert_many(c, OutboxEvent.__table__, [ok, {"entity": "worker", "entity_id": 2}])
    with e.begin() as c, pytest.raises(ValueError, match="unknown column"):
        insert_many(c, OutboxEvent.__table__, [ok | {"colour": "red"}])
    assert _dump(e, OutboxEvent.__table__) == []
    e.dispose()
