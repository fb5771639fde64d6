"""The admin and ministry pages (TestClient): accounts, agencies, the verification queue, the
audit trail of who changed what; refusals as pages; Bangla with nothing left unmarked."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from support import PDF_LETTER, letter_form
from test_pages import unmarked_english

from api.app import create_app
from registry.db import session_scope
from registry.models import AdminChange, JobOrder, User


@pytest.fixture(scope="module")
def client(seeded):
    with TestClient(create_app(seeded["settings"], indexer=seeded["indexer"]),
                    follow_redirects=False) as c:
        yield c


def sign_in(client, user: str, password: str = "shetu-demo") -> None:  # type: ignore[no-untyped-def]
    client.cookies.clear()
    r = client.post("/login", data={"username": user, "password": password})
    assert r.status_code == 303, (user, r.status_code)


@pytest.mark.parametrize(("user", "home"), [("admin", "/admin"), ("ministry", "/admin/demand"),
                                             ("officer", "/officer"), ("auditor", "/auditor"),
                                             ("worker", "/worker")])
def test_each_role_lands_on_its_own_home_after_sign_in(client, user, home):
    sign_in(client, user)
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == home
    assert client.get(home).status_code == 200


def test_admin_creates_an_agency_and_an_officer_who_can_sign_in(client, seeded):
    sign_in(client, "admin")
    until = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    r = client.post("/admin/agencies", data={"name": "Padma Overseas Ltd",
                                             "licence_number": "RL-9001",
                                             "licence_valid_until": until})
    assert r.status_code == 303, r.text[:500]
    assert "Padma Overseas Ltd" in client.get("/admin/agencies").text
    dup = client.post("/admin/agencies", data={"name": "Copy", "licence_number": "RL-9001",
                                               "licence_valid_until": until})
    assert dup.status_code == 409 and "licence_number" in dup.text and "<html" in dup.text
    with session_scope(seeded["settings"].database_url) as s:
        from registry.models import Agency

        agency_id = s.scalar(select(Agency.id).where(Agency.licence_number == "RL-9001"))
    bad = client.post("/admin/users", data={"username": "padma.officer", "password": "short",
                                            "role": "officer", "agency_id": str(agency_id)})
    assert bad.status_code == 422 and "password" in bad.text
    r = client.post("/admin/users", data={"username": "padma.officer",
                                          "password": "a-long-password-1", "role": "officer",
                                          "agency_id": str(agency_id)})
    assert r.status_code == 303
    # the account list is searched by user name, agency or role
    found = client.get("/admin/users?q=PADMA").text
    assert '<h2 lang="en">padma.officer<' in found and '<h2 lang="en">auditor<' not in found
    assert "1 found" in found
    by_role = client.get("/admin/users?q=auditor").text
    assert '<h2 lang="en">auditor<' in by_role and "padma.officer" not in by_role
    sign_in(client, "padma.officer", "a-long-password-1")
    assert client.get("/officer").status_code == 200
    # the admin disables the account: its session ends and it cannot sign in
    sign_in(client, "admin")
    with session_scope(seeded["settings"].database_url) as s:
        uid = s.scalar(select(User.id).where(User.username == "padma.officer"))
    assert client.post(f"/admin/users/{uid}", data={"disabled": "yes"}).status_code == 303
    client.cookies.clear()
    r = client.post("/login", data={"username": "padma.officer",
                                    "password": "a-long-password-1"})
    assert r.status_code == 401
    # the trail says who changed what, and never the password
    sign_in(client, "admin")
    page = client.get("/admin").text
    assert "padma.officer" in page and "RL-9001" in page and "a-long-password-1" not in page
    with session_scope(seeded["settings"].database_url) as s:
        rows = s.scalars(select(AdminChange).where(AdminChange.username == "admin")).all()
        assert {(r.action, r.entity) for r in rows} >= {("create", "agency"),
                                                         ("create", "user"), ("update", "user")}


def test_ministry_verifies_from_the_queue_and_the_order_becomes_matchable(client, seeded):
    with session_scope(seeded["settings"].database_url) as s:
        officer = s.scalar(select(User).where(User.username == "officer"))
        employer = s.scalar(select(JobOrder.employer_id).order_by(JobOrder.id))
        agency = officer.agency_id
    client.cookies.clear()
    admin = client.post("/api/v1/auth/token", data={"username": "admin",
                                                    "password": "shetu-demo"}).json()
    bearer = {"Authorization": f"Bearer {admin['access_token']}"}
    job = client.post("/api/v1/job-orders", headers=bearer, json={
        "employer_id": employer, "agency_id": agency, "destination": "Oman",
        "title": "Queue test mason",
        "deadline": (dt.date.today() + dt.timedelta(days=30)).isoformat()}).json()["id"]
    r = client.post(f"/api/v1/job-orders/{job}/submit", headers=bearer, data=letter_form(),
                    files={"demand_letter": ("l.pdf", PDF_LETTER, "application/pdf")})
    assert r.status_code == 200, r.text
    sign_in(client, "ministry")
    assert client.get("/").headers["location"] == "/admin/demand"
    queue = client.get("/admin/demand")
    assert queue.status_code == 200 and "Queue test mason" in queue.text
    assert queue.headers["cache-control"] == "no-store"
    assert f"/api/v1/job-orders/{job}/demand-letter" in queue.text
    assert client.get(f"/api/v1/job-orders/{job}/demand-letter").content == PDF_LETTER
    r = client.post(f"/admin/demand/{job}", data={"decision": "reject", "reason": ""})
    assert r.status_code == 422 and "reason" in r.text
    assert client.post(f"/admin/demand/{job}", data={"decision": "verify"}).status_code == 303
    assert "Queue test mason" not in client.get("/admin/demand").text
    got = client.get(f"/api/v1/job-orders/{job}", headers=bearer).json()
    assert got["status"] == "verified" and got["matchable"]
    # ministry staff are not admins
    assert client.get("/admin/users").status_code == 403


def test_admin_pages_in_bangla_have_no_unmarked_english(client):
    sign_in(client, "admin")
    for path in ("/admin", "/admin/users", "/admin/agencies", "/admin/demand", "/admin/import"):
        r = client.get(path + "?lang=bn")
        assert r.status_code == 200, path
        assert unmarked_english(r.text) == [], (path, unmarked_english(r.text)[:10])


def test_refusals_are_pages(client):
    client.cookies.clear()
    r = client.get("/admin/users")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")  # sign in first
    assert "admin" in r.headers["location"]  # and come back here after
    sign_in(client, "officer")
    r = client.get("/admin/demand")
    assert r.status_code == 403 and "<html" in r.text


def test_import_page_reports_bad_rows_and_a_rerun_changes_nothing(client, seeded):
    sign_in(client, "admin")
    csv_text = ("full_name,nid_number,date_of_birth,gender,languages\n"
                "Page Import One,5550001112223,1990-01-01,male,Bangla\n"
                "Page Import Bad,5550001112224,1990-02-30,male,Bangla\n")
    for _ in range(2):  # the rerun stores nothing new and reports the same bad row
        r = client.post("/admin/import", data={"kind": "workers"},
                        files={"file": ("w.csv", csv_text.encode(), "text/csv")})
        assert r.status_code == 200, r.text[:300]
        assert "date_of_birth" in r.text and ">3<" in r.text  # line 3, the bad field
        with session_scope(seeded["settings"].database_url) as s:
            from registry.models import Worker

            n = s.scalar(select(Worker.id).where(Worker.nid_number == "5550001112223"))
            assert n is not None
    r = client.post("/admin/import", data={"kind": "cats"},
                    files={"file": ("w.csv", csv_text.encode(), "text/csv")})
    assert r.status_code == 422 and "kind" in r.text


def test_admin_creates_a_draft_the_officer_submits_on_its_page(client, seeded):
    with session_scope(seeded["settings"].database_url) as s:
        officer = s.scalar(select(User).where(User.username == "officer"))
        employer = s.scalar(select(JobOrder.employer_id).order_by(JobOrder.id))
    sign_in(client, "admin")
    deadline = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    bad = client.post("/admin/job-orders", data={
        "agency_id": str(officer.agency_id), "employer_id": str(employer), "title": "Tiler",
        "destination": "Qatar", "deadline": "not a date"})
    assert bad.status_code == 422 and "deadline" in bad.text
    r = client.post("/admin/job-orders", data={
        "agency_id": str(officer.agency_id), "employer_id": str(employer), "title": "Tiler",
        "destination": "Qatar", "headcount": "2", "deadline": deadline})
    assert r.status_code == 303
    page_url = r.headers["location"]
    sign_in(client, "officer")
    page = client.get(page_url)
    assert page.status_code == 200 and "submit-form" in page.text and "not-matchable" in page.text
    r = client.post(page_url + "/submit", data=letter_form(),
                    files={"demand_letter": ("x.pdf", b"MZ not a pdf", "application/pdf")})
    assert r.status_code == 422 and "demand_letter" in r.text
    r = client.post(page_url + "/submit", data=letter_form(),
                    files={"demand_letter": ("x.pdf", PDF_LETTER, "application/pdf")})
    assert r.status_code == 303
    assert "submit-form" not in client.get(page_url).text
    for path in (page_url, "/admin/job-orders"):
        sign_in(client, "admin")
        r = client.get(path + "?lang=bn")
        assert r.status_code == 200 and unmarked_english(r.text) == [], unmarked_english(r.text)
