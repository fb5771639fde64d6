"""Bulk intake (registry.intake, `shetu import`): good rows land, bad rows are reported with
line, field and reason, a rerun changes nothing, a failed write leaves nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from support import seed_registry

from registry.db import session_scope
from registry.intake import import_csv
from registry.models import Attestation, JobOrder, OutboxEvent, Worker

HEADER = "full_name,nid_number,date_of_birth,gender,district,languages,medical_fit,"
WORKERS = HEADER + """attestation_source
Rahim Uddin,1990123456789,1990-04-01,male,Dhaka,Bangla;Arabic,true,GAMCA report 771
Karim Mia,1991123456789,1991-05-02,male,Sylhet,Bangla,,
Bad Date,1992123456789,1992-13-40,male,Dhaka,Bangla,,
No Nid,,1993-01-01,female,Dhaka,Bangla,,
Fit Without Source,1994123456789,1994-01-01,female,Dhaka,Bangla,true,
Rahim Again,1990123456789,1990-04-01,male,Dhaka,Bangla,,
Bad Language,1995123456789,1995-01-01,male,Dhaka,Klingon,,
Salma Begum,1996123456789,1996-02-03,female,Khulna,Bangla;English,,
"""


def _count(s, model) -> int:  # type: ignore[no-untyped-def]
    return s.scalar(select(func.count()).select_from(model))


def test_workers_bad_rows_reported_good_rows_land_rerun_changes_nothing(settings, taxonomy):
    seed_registry(settings, taxonomy, workers=5, job_orders=3, agencies=2)["indexer"] \
        .backend.close()
    with session_scope(settings.database_url) as s:
        before = _count(s, Worker)
        r = import_csv(s, "workers", WORKERS, username="admin")
    assert (r.rows, r.created, r.unchanged, r.bad) == (8, 3, 0, 5)
    got = {(e.line, e.field) for e in r.errors}
    assert got == {(4, "date_of_birth"), (5, "nid_number"), (6, "row"), (7, "nid_number"),
                   (8, "languages")}, r.errors
    assert any("attestation" in e.reason for e in r.errors if e.line == 6)
    assert any("line 2" in e.reason for e in r.errors if e.line == 7)
    with session_scope(settings.database_url) as s:
        assert _count(s, Worker) == before + 3
        rahim = s.scalar(select(Worker).where(Worker.nid_number == "1990123456789"))
        assert rahim.medical_fit and rahim.languages == ["Bangla", "Arabic"]
        att = s.scalars(select(Attestation).where(Attestation.worker_id == rahim.id)).all()
        assert [(a.field, a.source) for a in att] == [("medical_fit", "GAMCA report 771")]
        assert _count(s, OutboxEvent) >= 3
        again = import_csv(s, "workers", WORKERS, username="admin")
    assert (again.created, again.unchanged, again.bad) == (0, 3, 5)
    with session_scope(settings.database_url) as s:
        assert _count(s, Worker) == before + 3


def test_job_orders_and_nothing_half_written(settings, taxonomy):
    seed_registry(settings, taxonomy, workers=5, job_orders=3, agencies=2)["indexer"] \
        .backend.close()
    with session_scope(settings.database_url) as s:
        job = s.scalar(select(JobOrder).order_by(JobOrder.id))
        agency, employer = job.agency_id, job.employer_id
        before = _count(s, JobOrder)
    deadline = (dt.date.today() + dt.timedelta(days=40)).isoformat()
    text = ("agency_id,employer_id,destination,title,headcount,deadline,required_skills\n"
            f"{agency},{employer},Qatar,Electrician,4,{deadline},\n"
            f"999999,{employer},Qatar,Plumber,2,{deadline},\n"
            f"{agency},{employer},Qatar,Mason,0,{deadline},\n"
            f"{agency},{employer},Qatar,Driver,1,{deadline},not-a-uri\n"
            f"{agency},{employer},Oman,Cook,1,{deadline},\n")
    with session_scope(settings.database_url) as s:
        r = import_csv(s, "job-orders", text, username="admin")
    assert (r.created, r.bad) == (2, 3)
    assert {(e.line, e.field) for e in r.errors} == {(3, "agency_id"), (4, "headcount"),
                                                     (5, "required_skills")}
    with session_scope(settings.database_url) as s:
        assert _count(s, JobOrder) == before + 2
        assert {j.status for j in s.scalars(select(JobOrder).where(
            JobOrder.title.in_(["Electrician", "Cook"])))} == {"draft"}
    # A failure while writing (here: the caller's transaction fails) stores nothing of the file.
    text2 = text.replace("Electrician", "Welder").replace("Cook", "Baker")
    with pytest.raises(RuntimeError), session_scope(settings.database_url) as s:
        import_csv(s, "job-orders", text2, username="admin")
        raise RuntimeError("disk full")
    with session_scope(settings.database_url) as s:
        assert _count(s, JobOrder) == before + 2
        assert import_csv(s, "job-orders", text, username="admin").unchanged == 2
