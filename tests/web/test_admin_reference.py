"""The admin's exchange-rate and helpline pages (TestClient, the real app on SQLite): what the
admin enters is what the worker's pages show; bad input is a 422 page naming the field with
nothing stored; every change is in the admin audit trail; admin only; Bangla fully marked."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from test_pages import unmarked_english

from api.app import create_app
from api.i18n.format import taka
from registry.db import session_scope
from registry.models import AdminChange, ExchangeRate, Helpline, JobOrder

TODAY = dt.date.today()
SOURCE = "https://www.probashi.gov.bd/site/page/helpline-test"
HELPLINE = {"name": "Probashi test helpline", "name_bn": "প্রবাসী পরীক্ষা হেল্পলাইন",
            "number": "+880 9612 000000", "hours": "24 hours", "source": SOURCE,
            "checked_on": TODAY.isoformat()}


@pytest.fixture(scope="module")
def client(seeded):
    with TestClient(create_app(seeded["settings"], indexer=seeded["indexer"], warm_up=False),
                    follow_redirects=False) as c:
        yield c


def sign_in(client, user: str) -> None:  # type: ignore[no-untyped-def]
    client.cookies.clear()
    r = client.post("/login", data={"username": user, "password": "shetu-demo"})
    assert r.status_code == 303, (user, r.status_code)


def counts(seeded) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with session_scope(seeded["settings"].database_url) as s:
        return tuple(s.scalar(select(func.count()).select_from(m))  # type: ignore[return-value]
                     for m in (ExchangeRate, Helpline, AdminChange))


def changes(seeded, entity: str) -> list[tuple[str, int | None, str]]:  # type: ignore[no-untyped-def]
    with session_scope(seeded["settings"].database_url) as s:
        return [(c.action, c.entity_id, c.detail) for c in s.scalars(
            select(AdminChange).where(AdminChange.entity == entity).order_by(AdminChange.id))]


def test_a_rate_the_admin_adds_is_the_one_a_job_page_converts_with(client, seeded):
    sign_in(client, "worker")
    job_path = re.search(r'href="(/worker/jobs/(\d+))"', client.get("/worker?lang=en").text)
    assert job_path
    with session_scope(seeded["settings"].database_url) as s:
        job = s.get(JobOrder, int(job_path[2]))
        wage, currency = job.wage_amount, job.wage_currency
    assert wage and currency and currency != "BDT"
    sign_in(client, "admin")
    page = client.get("/admin/rates?lang=en").text
    assert "Seed (approximate" in page  # the seeded rates say what they are
    r = client.post("/admin/rates", data={"currency": currency.lower(), "bdt_per_unit": "111.5",
                                          "rate_date": TODAY.isoformat(),
                                          "source": "Test bank reference rate"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/rates"
    page = client.get("/admin/rates?lang=en").text
    assert "Test bank reference rate" in page and "111.5" in page
    assert changes(seeded, "exchange_rate")[-1][0] == "set"
    sign_in(client, "worker")
    page = client.get(job_path[1] + "?lang=en").text
    assert taka(round(wage * 111.5), "en") in page and "Test bank reference rate" in page
    assert TODAY.strftime("%-d %B %Y") in page  # the rate's date, as the page writes dates
    # the same currency and day again corrects the rate; it does not add a second one
    sign_in(client, "admin")
    before = counts(seeded)
    client.post("/admin/rates", data={"currency": currency, "bdt_per_unit": "112",
                                      "rate_date": TODAY.isoformat(), "source": "Corrected"})
    assert counts(seeded)[0] == before[0]


@pytest.mark.parametrize("field,value", [
    ("currency", "S1R"), ("currency", "BDT"), ("currency", ""), ("bdt_per_unit", "-3"),
    ("bdt_per_unit", "many"), ("bdt_per_unit", "1e9"), ("bdt_per_unit", "nan"),
    ("rate_date", (TODAY + dt.timedelta(days=2)).isoformat()), ("rate_date", "2026-13-40"),
    ("source", " "), ("source", "x" * 201)])
def test_a_bad_rate_is_refused_naming_the_field_and_nothing_is_stored(client, seeded, field,
                                                                       value):
    sign_in(client, "admin")
    form = {"currency": "SAR", "bdt_per_unit": "33.1", "rate_date": TODAY.isoformat(),
            "source": "Bangladesh Bank"} | {field: value}
    before = counts(seeded)
    r = client.post("/admin/rates", data=form)
    assert r.status_code == 422 and "<h1>" in r.text and 'role="alert"' in r.text
    assert re.search(rf'role="alert">[^<]*{field}: ', r.text), r.text[:2000]
    assert counts(seeded) == before


def test_the_admin_adds_edits_and_removes_a_helpline_and_the_worker_pages_follow(client,
                                                                                   seeded):
    sign_in(client, "admin")
    assert client.post("/admin/helplines", data=HELPLINE).status_code == 303
    with session_scope(seeded["settings"].database_url) as s:
        hid = s.scalar(select(Helpline.id).where(Helpline.name == HELPLINE["name"]))
    assert hid and HELPLINE["name"] in client.get("/admin/helplines").text
    sign_in(client, "worker")
    for path in ("/worker", "/worker/profile", "/worker/complain"):
        page = client.get(path + "?lang=bn").text
        assert HELPLINE["name_bn"] in page and 'href="tel:+8809612000000"' in page, path
        assert "24 hours" in page and f'href="{SOURCE}"' in page and "www.probashi.gov.bd" in page
    assert HELPLINE["name"] in client.get("/worker?lang=en").text

    sign_in(client, "admin")
    edited = HELPLINE | {"number": "16135", "hours": "Sun–Thu 9:00–17:00"}
    assert client.post(f"/admin/helplines/{hid}", data=edited).status_code == 303
    sign_in(client, "worker")
    page = client.get("/worker?lang=en").text
    assert 'href="tel:16135"' in page and "+880 9612 000000" not in page
    assert "Sun–Thu 9:00–17:00" in page

    sign_in(client, "admin")
    assert client.post(f"/admin/helplines/{hid}/delete").status_code == 303
    assert client.post(f"/admin/helplines/{hid}/delete").status_code == 404
    assert client.post(f"/admin/helplines/{hid}", data=HELPLINE).status_code == 404
    sign_in(client, "worker")
    assert HELPLINE["name"] not in client.get("/worker?lang=en").text
    trail = [(a, i) for a, i, _ in changes(seeded, "helpline") if i == hid]
    assert trail == [("create", hid), ("update", hid), ("delete", hid)]
    update = [d for a, i, d in changes(seeded, "helpline") if i == hid and a == "update"][0]
    assert "16135" in update and "+880 9612 000000" in update  # what it was and what it is
    sign_in(client, "admin")
    assert "16135" in client.get("/admin?lang=en").text  # the admin's own trail page


@pytest.mark.parametrize("field,value", [
    ("name", "  "), ("number", "call the embassy"), ("number", "12"), ("number", "+"),
    ("source", "probashi.gov.bd"), ("source", "ftp://example.org/helplines"),
    ("source", "javascript:alert(1)//x"), ("hours", "h" * 121), ("checked_on", ""),
    ("checked_on", (TODAY + dt.timedelta(days=1)).isoformat())])
def test_a_bad_helpline_is_refused_naming_the_field_and_nothing_is_stored(client, seeded, field,
                                                                           value):
    sign_in(client, "admin")
    before = counts(seeded)
    r = client.post("/admin/helplines", data=HELPLINE | {field: value})
    assert r.status_code == 422 and re.search(rf'role="alert">[^<]*{field}: ', r.text), \
        r.text[:2000]
    assert counts(seeded) == before
    if field != "hours":  # what the admin typed is still in the form
        assert 'value="Probashi test helpline"' in r.text or field == "name"


def test_an_edit_that_fails_changes_nothing(client, seeded):
    sign_in(client, "admin")
    client.post("/admin/helplines", data=HELPLINE | {"name": "Edit test line"})
    with session_scope(seeded["settings"].database_url) as s:
        hid = s.scalar(select(Helpline.id).where(Helpline.name == "Edit test line"))
    before = counts(seeded)
    r = client.post(f"/admin/helplines/{hid}", data=HELPLINE | {"name": "Renamed",
                                                                 "number": "none"})
    assert r.status_code == 422 and "number: " in r.text
    assert counts(seeded) == before
    with session_scope(seeded["settings"].database_url) as s:
        assert s.get(Helpline, hid).name == "Edit test line"


@pytest.mark.parametrize("user", ["worker", "officer", "auditor", "ministry"])
def test_only_the_admin_keeps_rates_and_helplines(client, seeded, user):
    sign_in(client, user)
    before = counts(seeded)
    assert client.get("/admin/rates").status_code == 403
    assert client.get("/admin/helplines").status_code == 403
    assert client.post("/admin/helplines", data=HELPLINE).status_code == 403
    assert client.post("/admin/rates", data={"currency": "SAR", "bdt_per_unit": "30",
                                             "rate_date": TODAY.isoformat(),
                                             "source": "Nobody"}).status_code == 403
    assert counts(seeded) == before


def test_the_pages_in_bangla_mark_every_english_word(client):
    sign_in(client, "admin")
    client.post("/admin/helplines", data=HELPLINE | {"name": "Bangla page line"})
    for path in ("/admin/rates", "/admin/helplines"):
        r = client.get(path + "?lang=bn")
        assert r.status_code == 200 and r.text.count("<h1>") == 1
        assert not unmarked_english(r.text), (path, unmarked_english(r.text)[:20])
        assert all(f'for="{i}"' in r.text for i in re.findall(r'<input id="([^"]+)"', r.text))
        assert all("autocomplete=" in tag for tag in re.findall(r"<input [^>]+>", r.text))
