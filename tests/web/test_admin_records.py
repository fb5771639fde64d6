"""The admin's record pages (TestClient, the real app on SQLite): edit and deactivate workers,
employers and job orders, edit agencies; bad input is the page again naming the field with
nothing stored; a stale form is refused; every change is in the audit trail with its before and
after; a deactivated worker leaves a job order's candidates, a deactivated employer's job order
stops being matchable; search and paging; Bangla with nothing left unmarked."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from test_pages import unmarked_english

from api.app import create_app
from registry.db import session_scope
from registry.models import AdminChange, Agency, Employer, JobOrder, Worker


@pytest.fixture(scope="module")
def client(seeded):
    with TestClient(create_app(seeded["settings"], indexer=seeded["indexer"]),
                    follow_redirects=False) as c:
        c.post("/login", data={"username": "admin", "password": "shetu-demo"})
        yield c


@pytest.fixture(scope="module")
def bearer(client):
    token = client.post("/api/v1/auth/token", data={"username": "admin",
                                                    "password": "shetu-demo"}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def _db(seeded):  # type: ignore[no-untyped-def]
    return session_scope(seeded["settings"].database_url)


def _trail(seeded, entity: str, entity_id: int) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    with _db(seeded) as s:
        rows = s.scalars(select(AdminChange).where(AdminChange.entity == entity,
                                                   AdminChange.entity_id == entity_id)
                         .order_by(AdminChange.id)).all()
        return [(r.action, json.loads(r.detail)) for r in rows]


def _job_with_candidates(client, bearer, seeded) -> tuple[int, list[int]]:  # type: ignore[no-untyped-def]
    with _db(seeded) as s:
        ids = list(s.scalars(select(JobOrder.id).where(JobOrder.status == "verified")
                             .order_by(JobOrder.id)))
    for job_id in ids:
        r = client.get(f"/api/v1/job-orders/{job_id}/candidates", headers=bearer)
        if r.status_code == 200 and r.json()["items"]:
            return job_id, [c["worker_id"] for c in r.json()["items"]]
    raise AssertionError("the seeded registry has no matchable job order with candidates")


def test_worker_edit_validation_stale_form_and_trail(client, seeded):
    with _db(seeded) as s:
        w = s.scalars(select(Worker).order_by(Worker.id)).first()
        wid, version, name = w.id, w.version, w.full_name
    page = client.get(f"/admin/workers/{wid}")
    assert page.status_code == 200 and 'name="version"' in page.text and name in page.text
    assert page.headers["cache-control"] == "no-store"
    form = {"version": str(version), "full_name": "", "district": "Sylhet", "consent": "yes"}
    bad = client.post(f"/admin/workers/{wid}", data=form)
    assert bad.status_code == 422 and "full_name" in bad.text and "<html" in bad.text
    assert 'value="Sylhet"' in bad.text  # what was typed is shown again
    bad = client.post(f"/admin/workers/{wid}", data={**form, "full_name": "X",
                                                     "consent": "maybe"})
    assert bad.status_code == 422 and "consent" in bad.text
    with _db(seeded) as s:
        assert s.get(Worker, wid).version == version  # nothing stored
    ok = client.post(f"/admin/workers/{wid}", data={**form, "full_name": "Rahim Edited"})
    assert ok.status_code == 303 and ok.headers["location"] == f"/admin/workers/{wid}"
    with _db(seeded) as s:
        w = s.get(Worker, wid)
        assert (w.full_name, w.district, w.version) == ("Rahim Edited", "Sylhet", version + 1)
    # the same (now stale) form again: refused, naming the version, nothing stored
    stale = client.post(f"/admin/workers/{wid}", data={**form, "full_name": "Lost Update"})
    assert stale.status_code == 409 and "version" in stale.text
    with _db(seeded) as s:
        assert s.get(Worker, wid).full_name == "Rahim Edited"
    action, detail = _trail(seeded, "worker", wid)[-1]
    assert action == "update" and detail["full_name"] == [name, "Rahim Edited"]
    # the record's trail, in words: the field, what it was, what it is now
    assert f"full name: {name} → Rahim Edited" in client.get(f"/admin/workers/{wid}").text


def test_deactivated_worker_leaves_the_candidates_and_comes_back(client, bearer, seeded):
    job_id, shown = _job_with_candidates(client, bearer, seeded)
    wid = shown[0]
    with _db(seeded) as s:
        version = s.get(Worker, wid).version
    r = client.post(f"/admin/workers/{wid}/active", data={"active": "no",
                                                          "version": str(version)})
    assert r.status_code == 303
    got = client.get(f"/api/v1/job-orders/{job_id}/candidates?limit=200", headers=bearer).json()
    assert wid not in [c["worker_id"] for c in got["items"]]
    assert "deactivated" in client.get(f"/admin/workers/{wid}").text
    assert seeded["indexer"].verify()["workers"].clean  # not "missing": it is meant to be out
    assert _trail(seeded, "worker", wid)[-1] == ("deactivate", {"active": [True, False]})
    r = client.post(f"/admin/workers/{wid}/active", data={"active": "yes"})
    assert r.status_code == 303
    got = client.get(f"/api/v1/job-orders/{job_id}/candidates?limit=200", headers=bearer).json()
    assert wid in [c["worker_id"] for c in got["items"]]


def test_employer_add_edit_deactivate_makes_its_orders_unmatchable(client, bearer, seeded):
    bad = client.post("/admin/employers", data={"name": "Gulf Tiles", "country": ""})
    assert bad.status_code == 422 and "country" in bad.text
    r = client.post("/admin/employers", data={"name": "Gulf Tiles LLC", "country": "Oman",
                                              "sector": "construction"})
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/employers/")
    # its trail names the fields it was created with, not every empty one
    trail = client.get(r.headers["location"]).text.split('id="trail"')[1]
    assert "name: Gulf Tiles LLC" in trail and "country: Oman" in trail and ": —" not in trail
    listing = client.get("/admin/employers?q=gulf tiles")
    assert listing.status_code == 200 and "Gulf Tiles LLC" in listing.text
    job_id, _ = _job_with_candidates(client, bearer, seeded)
    with _db(seeded) as s:
        employer = s.get(JobOrder, job_id).employer_id
        version = s.get(Employer, employer).version
    r = client.post(f"/admin/employers/{employer}", data={"version": str(version),
                                                          "sector": "care work"})
    assert r.status_code == 303
    r = client.post(f"/admin/employers/{employer}/active", data={"active": "no"})
    assert r.status_code == 303
    got = client.get(f"/api/v1/job-orders/{job_id}", headers=bearer).json()
    assert got["matchable"] is False
    assert client.get(f"/api/v1/job-orders/{job_id}/candidates", headers=bearer
                      ).status_code == 409
    assert got["why_not_matchable_codes"] == ["employer_inactive"]  # English text + a code
    assert got["why_not_matchable"] == ["employer is deactivated"]
    for path in (f"/officer/jobs/{job_id}", f"/demand/jobs/{job_id}"):  # the reason, in Bangla
        bn = client.get(path + "?lang=bn").text
        assert "এর নিয়োগকর্তা নিষ্ক্রিয়।" in bn and "employer is deactivated" not in bn, path
        assert unmarked_english(bn) == [], (path, unmarked_english(bn)[:10])
    assert "Its employer is deactivated." in client.get(f"/officer/jobs/{job_id}?lang=en").text
    actions = [a for a, _ in _trail(seeded, "employer", employer)]
    assert actions[-2:] == ["update", "deactivate"]
    client.post(f"/admin/employers/{employer}/active", data={"active": "yes"})
    assert client.get(f"/api/v1/job-orders/{job_id}", headers=bearer).json()["matchable"]


def test_job_order_edit_and_close(client, seeded):
    with _db(seeded) as s:
        job = s.scalars(select(JobOrder).where(JobOrder.status == "draft")
                        .order_by(JobOrder.id)).first()
        if job is None:
            job = s.scalars(select(JobOrder).where(JobOrder.status != "closed")
                            .order_by(JobOrder.id)).first()
        jid, version, headcount = job.id, job.version, job.headcount
    page = client.get(f"/admin/job-orders/{jid}")
    assert page.status_code == 200 and "active-form" in page.text
    bad = client.post(f"/admin/job-orders/{jid}", data={"version": str(version),
                                                        "headcount": "0"})
    assert bad.status_code == 422 and "headcount" in bad.text
    bad = client.post(f"/admin/job-orders/{jid}", data={"version": str(version),
                                                        "deadline": ""})
    assert bad.status_code == 422 and "deadline" in bad.text
    ok = client.post(f"/admin/job-orders/{jid}", data={"version": str(version),
                                                       "headcount": str(headcount + 3)})
    assert ok.status_code == 303
    r = client.post(f"/admin/job-orders/{jid}/close", data={"version": str(version + 1),
                                                            "reason": "filled elsewhere"})
    assert r.status_code == 303
    with _db(seeded) as s:
        job = s.get(JobOrder, jid)
        assert (job.headcount, job.status) == (headcount + 3, "closed")
    trail = _trail(seeded, "job_order", jid)
    assert trail[-2] == ("update", {"headcount": [headcount, headcount + 3]})
    assert trail[-1][0] == "deactivate" and trail[-1][1]["status"][1] == "closed"
    assert "active-form" not in client.get(f"/admin/job-orders/{jid}").text  # final


def test_agency_edit_page(client, seeded):
    with _db(seeded) as s:
        a = s.scalars(select(Agency).order_by(Agency.id)).first()
        aid, version = a.id, a.version
    assert client.get(f"/admin/agencies/{aid}").status_code == 200
    bad = client.post(f"/admin/agencies/{aid}", data={"version": str(version),
                                                      "licence_valid_until": "2026-02-30"})
    assert bad.status_code == 422 and "licence_valid_until" in bad.text
    until = (dt.date.today() + dt.timedelta(days=700)).isoformat()
    r = client.post(f"/admin/agencies/{aid}", data={"version": str(version),
                                                    "licence_valid_until": until,
                                                    "phone": "+880 2 5555 0101"})
    assert r.status_code == 303
    with _db(seeded) as s:
        a = s.get(Agency, aid)
        assert (a.licence_valid_until.isoformat(), a.phone) == (until, "+880 2 5555 0101")
    assert _trail(seeded, "agency", aid)[-1][0] == "update"
    assert client.get("/admin/agencies/1999999").status_code == 404


def test_lists_search_and_page(client, seeded):
    page = client.get("/admin/workers")
    assert page.status_code == 200 and 'rel="next"' in page.text  # 150 workers, 50 a page
    assert client.get("/admin/workers?page=3").text.count("/admin/workers/") >= 50
    with _db(seeded) as s:
        w = s.scalars(select(Worker).order_by(Worker.id.desc())).first()
    found = client.get("/admin/workers", params={"q": w.full_name})
    assert f"/admin/workers/{w.id}" in found.text and 'rel="next"' not in found.text
    assert client.get("/admin/workers?page=abc").status_code == 200  # bad page: the first
    with _db(seeded) as s:
        job = s.scalars(select(JobOrder).order_by(JobOrder.id)).first()
        agency = s.scalars(select(Agency).order_by(Agency.id)).first()
    found = client.get("/admin/job-orders", params={"q": job.title}).text
    assert f"/admin/job-orders/{job.id}" in found
    found = client.get("/admin/agencies", params={"q": agency.licence_number}).text
    assert found.count('class="card"') == 2  # the add form and the one agency


def test_record_pages_in_bangla_have_no_unmarked_english(client, seeded):
    with _db(seeded) as s:
        ids = {"workers": s.scalar(select(Worker.id)), "employers": s.scalar(select(Employer.id)),
               "agencies": s.scalar(select(Agency.id)), "job-orders": s.scalar(select(JobOrder.id))}
    paths = ["/admin/workers", "/admin/employers"] + [f"/admin/{k}/{v}" for k, v in ids.items()]
    for path in paths:
        r = client.get(path + "?lang=bn")
        assert r.status_code == 200, path
        assert unmarked_english(r.text) == [], (path, unmarked_english(r.text)[:10])


def test_trail_lines_name_what_was_given_and_what_changed():
    from api.i18n.render import change_lines

    created = {"title": "Walk welder", "description": None, "languages": [],
               "medical_required": True, "domestic_work": False, "headcount": 5}
    assert change_lines(json.dumps(created)) == [
        "title: Walk welder", "medical required: yes", "domestic work: no", "headcount: 5"]
    assert change_lines(json.dumps({"wage_amount": [None, 1200], "languages": [["Bangla"], []]})) \
        == ["wage amount: — → 1200", "languages: Bangla → —"]
    assert change_lines("not json") == ["not json"]
