"""Who may call what: every route of the app, anonymous and each role, from one table.

``RULES`` is the one place that says which roles may use a route. A route the app serves that
the table does not list fails ``test_every_route_is_classified``: a new route must be classified
before it ships. Below the matrix, the field-level and record-level rules: what a worker may
change on their own profile, which workers an officer may read, other agencies' job orders.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from fastapi import routing as fastapi_routing
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from api.app import create_app
from registry.compliance import job_is_matchable
from registry.db import session_scope
from registry.models import Application, JobOrder, User, Worker

ROLES = ("officer", "worker", "auditor", "ministry", "admin")
PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = frozenset(ROLES)
STAFF = frozenset({"officer", "auditor", "admin"})
DEMAND_READERS = STAFF | {"ministry"}
MISSING = 1_999_999  # a well-formed id no record has: writes in the matrix change nothing

# (method, path) -> who may call it. Anonymous callers get 401 on every non-public route; a
# signed-in role not listed gets 403. Record-level rules (own profile, own agency) are tested
# below the matrix.
RULES: dict[tuple[str, str], str | frozenset[str]] = {
    # operations and the API description
    ("GET", "/health"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    # sign-in
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("POST", "/api/v1/auth/logout"): SIGNED_IN,
    # job orders (an officer: their own agency's only)
    ("GET", "/api/v1/job-orders"): DEMAND_READERS,
    ("POST", "/api/v1/job-orders"): frozenset({"admin"}),
    ("GET", "/api/v1/job-orders/{job_order_id}"): DEMAND_READERS,
    ("PATCH", "/api/v1/job-orders/{job_order_id}"): frozenset({"admin"}),
    ("DELETE", "/api/v1/job-orders/{job_order_id}"): frozenset({"admin"}),
    ("GET", "/api/v1/job-orders/{job_order_id}/candidates"): frozenset({"officer", "admin"}),
    ("POST", "/api/v1/job-orders/{job_order_id}/outcomes"): frozenset({"officer", "admin"}),
    # workers (a worker: their own profile; an officer: applicants and consenting candidates)
    ("POST", "/api/v1/workers"): frozenset({"admin"}),
    ("GET", "/api/v1/workers/{worker_id}"): SIGNED_IN,
    ("PATCH", "/api/v1/workers/{worker_id}"): frozenset({"worker", "officer", "admin"}),
    ("DELETE", "/api/v1/workers/{worker_id}"): frozenset({"admin"}),
    # agencies
    ("GET", "/api/v1/agencies"): STAFF,
    ("POST", "/api/v1/agencies"): frozenset({"admin"}),
    ("GET", "/api/v1/agencies/{agency_id}"): STAFF,
    ("PATCH", "/api/v1/agencies/{agency_id}"): frozenset({"admin"}),
    ("DELETE", "/api/v1/agencies/{agency_id}"): frozenset({"admin"}),
    # employers
    ("GET", "/api/v1/employers"): STAFF,
    ("POST", "/api/v1/employers"): frozenset({"admin"}),
    ("GET", "/api/v1/employers/{employer_id}"): STAFF,
    ("PATCH", "/api/v1/employers/{employer_id}"): frozenset({"admin"}),
    # the signed-in worker's own views
    ("GET", "/api/v1/me"): frozenset({"worker"}),
    ("GET", "/api/v1/me/eligible-jobs"): frozenset({"worker"}),
    # audit
    ("GET", "/api/v1/audit/agencies"): frozenset({"auditor", "admin"}),
    ("GET", "/api/v1/audit/access-log"): frozenset({"auditor", "admin"}),
    ("GET", "/api/v1/audit/agencies/{agency_id}"): frozenset({"auditor", "admin"}),
    ("GET", "/api/v1/audit/rules"): frozenset({"auditor", "admin"}),
    # taxonomy look-ups
    ("GET", "/api/v1/taxonomy/occupations"): SIGNED_IN,
    ("GET", "/api/v1/taxonomy/skills"): SIGNED_IN,
    ("POST", "/api/v1/taxonomy/suggest"): SIGNED_IN,
    # web pages (the session cookie carries the same token)
    ("GET", "/"): PUBLIC,
    ("GET", "/static/{asset}"): PUBLIC,  # stylesheets and scripts, plain or content-hashed
    ("GET", "/static/fonts/{font}"): PUBLIC,  # the Bengali font and its licence
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/officer"): frozenset({"officer", "admin"}),
    ("GET", "/officer/jobs/{job_order_id}"): frozenset({"officer", "admin"}),
    ("GET", "/worker"): frozenset({"worker"}),
    ("GET", "/auditor"): frozenset({"auditor", "admin"}),
    # -- issue 12: the officer's pipeline, candidate pages, sign-in with next, offline docs --
    ("GET", "/api/v1/job-orders/{job_order_id}/pipeline"): frozenset({"officer", "admin"}),
    ("POST", "/api/v1/job-orders/{job_order_id}/pipeline"): frozenset({"officer", "admin"}),
    ("GET", "/api/v1/job-orders/{job_order_id}/exclusions"): frozenset({"officer", "admin"}),
    ("GET", "/officer/jobs/{job_order_id}/workers/{worker_id}"): frozenset({"officer", "admin"}),
    ("POST", "/officer/jobs/{job_order_id}/pipeline"): frozenset({"officer", "admin"}),
    ("GET", "/officer/jobs/{job_order_id}/shortlist.csv"): frozenset({"officer", "admin"}),
    ("GET", "/login"): PUBLIC,
    ("GET", "/static/docs/swagger-ui-bundle.js"): PUBLIC,
    ("GET", "/static/docs/swagger-ui.css"): PUBLIC,
    ("GET", "/static/docs/redoc.standalone.js"): PUBLIC,
    ("GET", "/static/docs/favicon.png"): PUBLIC,
    ("GET", "/static/docs/swagger-init.js"): PUBLIC,
    ("GET", "/static/docs/oauth2-redirect.js"): PUBLIC,
    ("GET", "/auditor/agencies/{agency_id}"): frozenset({"auditor", "admin"}),
    ("GET", "/auditor/agencies/{agency_id}/chart.svg"): frozenset({"auditor", "admin"}),
    ("GET", "/auditor/evidence"): frozenset({"auditor", "admin"}),
    ("GET", "/auditor/access-log"): frozenset({"auditor", "admin"}),
    # issue 13: the worker acts (API and pages; a worker only for themselves)
    ("PATCH", "/api/v1/me"): frozenset({"worker"}),
    ("GET", "/api/v1/me/completeness"): frozenset({"worker"}),
    ("GET", "/api/v1/me/skill-suggestions"): frozenset({"worker"}),
    ("GET", "/api/v1/me/jobs/{job_order_id}"): frozenset({"worker"}),
    ("GET", "/api/v1/me/interests"): frozenset({"worker"}),
    ("POST", "/api/v1/me/interests"): frozenset({"worker"}),
    ("POST", "/api/v1/me/interests/{job_order_id}/withdraw"): frozenset({"worker"}),
    ("GET", "/api/v1/me/fee-reports"): frozenset({"worker"}),
    ("POST", "/api/v1/me/fee-reports"): frozenset({"worker"}),
    ("GET", "/api/v1/me/complaints"): frozenset({"worker"}),
    ("POST", "/api/v1/me/complaints"): frozenset({"worker"}),
    ("GET", "/worker/jobs/{job_order_id}"): frozenset({"worker"}),
    ("POST", "/worker/jobs/{job_order_id}/interest"): frozenset({"worker"}),
    ("POST", "/worker/jobs/{job_order_id}/withdraw"): frozenset({"worker"}),
    ("GET", "/worker/profile"): frozenset({"worker"}),
    ("POST", "/worker/profile"): frozenset({"worker"}),
    ("GET", "/worker/report-fee"): frozenset({"worker"}),
    ("POST", "/worker/report-fee"): frozenset({"worker"}),
    ("GET", "/worker/complain"): frozenset({"worker"}),
    ("POST", "/worker/complain"): frozenset({"worker"}),
    ("GET", "/worker/reports"): frozenset({"worker"}),
    # demand lifecycle (issue 12): the agency submits and closes, ministry staff verify/reject
    ("POST", "/api/v1/job-orders/{job_order_id}/submit"): frozenset({"officer", "admin"}),
    ("POST", "/api/v1/job-orders/{job_order_id}/verify"): frozenset({"ministry", "admin"}),
    ("POST", "/api/v1/job-orders/{job_order_id}/reject"): frozenset({"ministry", "admin"}),
    ("POST", "/api/v1/job-orders/{job_order_id}/close"): frozenset({"officer", "admin"}),
    ("GET", "/api/v1/job-orders/{job_order_id}/history"): DEMAND_READERS,
    ("GET", "/api/v1/job-orders/{job_order_id}/demand-letter"): DEMAND_READERS,
    # admin pages (issue 12); the verification queue is ministry staff's
    ("GET", "/admin"): frozenset({"admin"}),
    ("GET", "/admin/users"): frozenset({"admin"}),
    ("POST", "/admin/users"): frozenset({"admin"}),
    ("POST", "/admin/users/{user_id}"): frozenset({"admin"}),
    ("GET", "/admin/agencies"): frozenset({"admin"}),
    ("POST", "/admin/agencies"): frozenset({"admin"}),
    ("POST", "/admin/agencies/{agency_id}"): frozenset({"admin"}),
    ("GET", "/admin/demand"): frozenset({"ministry", "admin"}),
    ("POST", "/admin/demand/{job_order_id}"): frozenset({"ministry", "admin"}),
    ("GET", "/admin/import"): frozenset({"admin"}),
    ("POST", "/admin/import"): frozenset({"admin"}),
    ("GET", "/admin/job-orders"): frozenset({"admin"}),
    ("POST", "/admin/job-orders"): frozenset({"admin"}),
    ("GET", "/demand/jobs/{job_order_id}"): DEMAND_READERS,
    ("POST", "/demand/jobs/{job_order_id}/submit"): frozenset({"officer", "admin"}),
    ("POST", "/demand/jobs/{job_order_id}/close"): frozenset({"officer", "admin"}),
    # issue 13: the admin keeps the exchange rates and helplines the worker's pages quote
    ("GET", "/admin/rates"): frozenset({"admin"}),
    ("POST", "/admin/rates"): frozenset({"admin"}),
    ("GET", "/admin/helplines"): frozenset({"admin"}),
    ("POST", "/admin/helplines"): frozenset({"admin"}),
    ("POST", "/admin/helplines/{helpline_id}"): frozenset({"admin"}),
    ("POST", "/admin/helplines/{helpline_id}/delete"): frozenset({"admin"}),
    # the admin's record pages (issue 12): edit and deactivate workers, employers, job orders;
    # edit agencies
    ("GET", "/admin/workers"): frozenset({"admin"}),
    ("GET", "/admin/workers/{worker_id}"): frozenset({"admin"}),
    ("POST", "/admin/workers/{worker_id}"): frozenset({"admin"}),
    ("POST", "/admin/workers/{worker_id}/active"): frozenset({"admin"}),
    ("GET", "/admin/employers"): frozenset({"admin"}),
    ("POST", "/admin/employers"): frozenset({"admin"}),
    ("GET", "/admin/employers/{employer_id}"): frozenset({"admin"}),
    ("POST", "/admin/employers/{employer_id}"): frozenset({"admin"}),
    ("POST", "/admin/employers/{employer_id}/active"): frozenset({"admin"}),
    ("GET", "/admin/agencies/{agency_id}"): frozenset({"admin"}),
    ("GET", "/admin/job-orders/{job_order_id}"): frozenset({"admin"}),
    ("POST", "/admin/job-orders/{job_order_id}"): frozenset({"admin"}),
    ("POST", "/admin/job-orders/{job_order_id}/close"): frozenset({"admin"}),
}
WEB_PREFIXES = ("/login", "/logout", "/officer", "/worker", "/auditor", "/admin", "/demand",
                "/static/")
ALLOWED_STATUSES = {200, 201, 204, 303, 404, 409, 422}
# Writes with an empty body are refused as bad input before anything is stored.
EMPTY_BODY = {("POST", "/api/v1/job-orders"), ("POST", "/api/v1/workers"),
              ("POST", "/api/v1/agencies"), ("POST", "/api/v1/employers"),
              ("POST", "/api/v1/taxonomy/suggest"),
              ("POST", "/api/v1/job-orders/{job_order_id}/outcomes"),
              ("POST", "/api/v1/job-orders/{job_order_id}/pipeline"),
              ("PATCH", "/api/v1/job-orders/{job_order_id}"),
              ("PATCH", "/api/v1/agencies/{agency_id}"), ("PATCH", "/api/v1/workers/{worker_id}"),
              ("PATCH", "/api/v1/employers/{employer_id}")}
# Lifecycle steps (API and pages) are sent to MISSING: nothing moves.
LIFECYCLE_STEPS = ("/submit", "/verify", "/reject", "/close")
QUERY = {"/api/v1/taxonomy/occupations": {"q": "welder"}, "/api/v1/taxonomy/skills": {"q": "weld"}}
ATTESTED = {  # a worker's own PATCH of any of these is refused and nothing is stored
    "medical_fit": True,
    "bmet_registration": "BMET-SELF-0001",
    "ntvqf_level": 4,
    "passport_expiry": (dt.date.today() + dt.timedelta(days=3650)).isoformat(),
    "passport_number": "A99999999",
    "certificates": ["NTVQF L4 welding (self-declared)"],
}


def _is_web(path: str) -> bool:
    """Whether a path is a web page (signed in by cookie) rather than the JSON API."""
    return path == "/" or path.startswith(WEB_PREFIXES)


def _app_routes(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every (method, path) the app serves, in the spec or not (web pages, docs)."""
    # FastAPI >= 0.16x keeps included routers unflattened; iter_route_contexts walks them.
    walk = getattr(fastapi_routing, "iter_route_contexts", list)
    out = set()
    for route in walk(app.routes):
        methods = getattr(route, "methods", None)
        # A mount (static files, a sub-application) has no methods: it must be classified too.
        out |= {(m, route.path) for m in methods or ("ANY",) if m != "HEAD"}
    spec = app.openapi()
    out |= {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    return out


def wait_for_taxonomy(call, timeout_s: float = 600) -> None:  # type: ignore[no-untyped-def]
    """Wait until the ESCO rankers, built in the background at start-up, answer (not 503)."""
    deadline = time.monotonic() + timeout_s
    for path in ("/api/v1/taxonomy/skills", "/api/v1/taxonomy/occupations"):
        while (status := call(path)) == 503:
            assert time.monotonic() < deadline, f"{path} still 503 after {timeout_s:.0f} s"
            time.sleep(1)
        assert status == 200, (path, status)


@pytest.fixture(scope="module")
def app(seeded):
    return create_app(seeded["settings"], indexer=seeded["indexer"])


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app, follow_redirects=False) as c:
        yield c


def _sign_in(client, role: str) -> str:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/auth/token", data={"username": role, "password": "shetu-demo"})
    assert r.status_code == 200, (role, r.status_code, r.text)
    return r.json()["access_token"]


@pytest.fixture(scope="module")
def tokens(client) -> dict[str, str]:
    """One token per role (sign-in is throttled and hashes with argon2: once per role)."""
    out = {role: _sign_in(client, role) for role in ROLES}
    bearer = {"Authorization": f"Bearer {out['admin']}"}
    wait_for_taxonomy(lambda path: client.get(path, params={"q": "weld"},
                                              headers=bearer).status_code)
    return out


@pytest.fixture(scope="module")
def facts(seeded, client, tokens) -> dict:
    """Ids the rules are about: the officer's agency and jobs, the demo worker, a candidate."""
    today = dt.date.today()
    with session_scope(seeded["settings"].database_url) as s:
        officer = s.scalar(select(User).where(User.username == "officer"))
        worker = s.scalar(select(User).where(User.username == "worker"))
        own = [j.id for j in s.scalars(select(JobOrder).where(
            JobOrder.agency_id == officer.agency_id).order_by(JobOrder.id))
            if job_is_matchable(j, today)]
        other = s.scalar(select(JobOrder.id).where(JobOrder.agency_id != officer.agency_id)
                         .order_by(JobOrder.id))
        applicant = s.scalar(
            select(Application.worker_id).join(JobOrder, JobOrder.id == Application.job_order_id)
            .where(JobOrder.agency_id == officer.agency_id).order_by(Application.id))
        agency_applicants = set(s.scalars(
            select(Application.worker_id).join(JobOrder, JobOrder.id == Application.job_order_id)
            .where(JobOrder.agency_id == officer.agency_id)))
        no_consent = s.scalar(select(Worker.id).where(
            Worker.consent.is_(False), Worker.id.not_in(agency_applicants or {0}))
            .order_by(Worker.id))
    bearer = {"Authorization": f"Bearer {tokens['officer']}"}
    ranked = client.get(f"/api/v1/job-orders/{own[0]}/candidates", headers=bearer)
    assert ranked.status_code == 200, ranked.text
    candidates = [m["worker_id"] for m in ranked.json()["items"]]
    assert candidates, "the officer's first job order has no candidates"
    return {"agency": officer.agency_id, "own_job": own[0], "other_job": other,
            "worker": worker.worker_id, "candidate": candidates[0], "applicant": applicant,
            "no_consent": no_consent, "applicants": agency_applicants,
            "candidates": set(candidates)}


def _path_ids(method: str, role: str, facts: dict, path: str = "") -> dict[str, int | str]:
    """Path parameters that an allowed role may use (reads) or that change nothing (writes)."""
    job = facts["own_job"] if method in ("GET", "POST") else MISSING
    if path.endswith(LIFECYCLE_STEPS):
        job = MISSING
    if method == "DELETE":
        worker = MISSING
    elif role == "officer":
        worker = facts["candidate"]
    else:
        worker = facts["worker"]
    agency = facts["agency"] if method == "GET" else MISSING
    return {"job_order_id": job, "worker_id": worker, "agency_id": agency, "user_id": MISSING,
            "asset": "shetu.css", "font": "OFL.txt", "helpline_id": MISSING,
            "employer_id": MISSING}


def _call(client, method: str, path: str, role: str | None, token: str | None, facts: dict):  # type: ignore[no-untyped-def]
    """Send one request for a route as ``role`` (None: anonymous)."""
    url = path.format(**_path_ids(method, role or "", facts, path))
    kwargs: dict = {"params": QUERY.get(path)}
    if token and _is_web(path):
        client.cookies.set("shetu_token", token)
    elif token:
        kwargs["headers"] = {"Authorization": f"Bearer {token}"}
    if (method, path) in EMPTY_BODY:
        kwargs["json"] = {}
    if path in ("/api/v1/auth/token", "/login") and role:
        kwargs["data"] = {"username": role, "password": "shetu-demo"}
    elif path in ("/api/v1/auth/token", "/login"):
        kwargs["data"] = {}  # no failed sign-in: those are throttled per address
    try:
        return client.request(method, url, **kwargs)
    finally:
        client.cookies.clear()  # a cookie set by /login must not sign in the next request


def test_every_route_is_classified(app):
    served = _app_routes(app)
    unclassified = sorted(served - set(RULES))
    assert not unclassified, ("routes with no row in RULES (classify who may call them): "
                              f"{unclassified}")
    gone = sorted(set(RULES) - served)
    assert not gone, f"RULES lists routes the app no longer serves: {gone}"


@pytest.mark.parametrize("method,path", sorted(RULES))
def test_anonymous(client, facts, method, path):
    r = _call(client, method, path, None, None, facts)
    if RULES[(method, path)] == PUBLIC:
        assert r.status_code not in (401, 403) and r.status_code < 500, (r.status_code, r.text)
        return
    if r.status_code == 303 and _is_web(path):
        # a page sends strangers to sign in (and back to the page afterwards)
        assert r.headers["location"] in ("/", "/login") or \
            r.headers["location"].startswith("/login?next=")
        return
    assert r.status_code == 401, (method, path, r.status_code, r.text[:300])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method,path", sorted(RULES))
def test_role(client, tokens, facts, method, path, role):
    if (method, path) in (("POST", "/api/v1/auth/logout"), ("POST", "/logout")):
        token = _sign_in(client, role)  # signing out revokes the token: not the shared one
    else:
        token = tokens[role]
    r = _call(client, method, path, role, token, facts)
    allowed = RULES[(method, path)]
    if allowed == PUBLIC or role in allowed:
        assert r.status_code in ALLOWED_STATUSES, (role, method, path, r.status_code,
                                                   r.text[:300])
    else:
        assert r.status_code == 403, (role, method, path, r.status_code, r.text[:300])


# -- field-level: what a worker may change on their own profile --------------------------------
def _stored(seeded, worker_id: int) -> dict:
    with session_scope(seeded["settings"].database_url) as s:
        row = s.execute(text("select * from workers where id = :i"), {"i": worker_id})
        return dict(row.mappings().one())


@pytest.mark.parametrize("field", sorted(ATTESTED))
def test_worker_cannot_set_attested_facts(client, tokens, facts, seeded, field):
    before = _stored(seeded, facts["worker"])
    r = client.patch(f"/api/v1/workers/{facts['worker']}", json={field: ATTESTED[field]},
                     headers={"Authorization": f"Bearer {tokens['worker']}"})
    assert r.status_code in (403, 422), (field, r.status_code, r.text[:300])
    assert field in r.text, f"the refusal does not name {field}: {r.text[:300]}"
    assert _stored(seeded, facts["worker"]) == before, f"{field}: something was stored"


def test_worker_may_change_what_is_theirs(client, tokens, facts, seeded):
    words = "Welder, six years in Dhaka shipyards; I read drawings."
    r = client.patch(f"/api/v1/workers/{facts['worker']}", json={"self_description": words},
                     headers={"Authorization": f"Bearer {tokens['worker']}"})
    assert r.status_code == 200, r.text
    assert _stored(seeded, facts["worker"])["self_description"] == words


def test_worker_cannot_change_another_worker(client, tokens, facts, seeded):
    other = facts["candidate"] if facts["candidate"] != facts["worker"] else facts["no_consent"]
    before = _stored(seeded, other)
    r = client.patch(f"/api/v1/workers/{other}", json={"self_description": "not mine"},
                     headers={"Authorization": f"Bearer {tokens['worker']}"})
    assert r.status_code in (403, 404), r.text
    assert _stored(seeded, other) == before


# -- record-level: which workers an officer may read ---------------------------------------------
def _officer_reads(client, tokens, worker_id: int):  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/workers/{worker_id}",
                      headers={"Authorization": f"Bearer {tokens['officer']}"})


def test_officer_reads_a_consenting_candidate(client, tokens, facts):
    r = _officer_reads(client, tokens, facts["candidate"])
    assert r.status_code == 200, r.text
    assert "nid_number" not in r.json() or r.json()["nid_number"] is None


def test_officer_reads_an_applicant_to_their_agency(client, tokens, facts):
    assert facts["applicant"], "the seeded agency has no applications"
    assert _officer_reads(client, tokens, facts["applicant"]).status_code == 200


def test_officer_cannot_read_a_worker_who_did_not_consent(client, tokens, facts, seeded):
    assert facts["no_consent"], "every seeded worker consented"
    r = _officer_reads(client, tokens, facts["no_consent"])
    assert r.status_code in (403, 404), r.text[:300]
    name = _stored(seeded, facts["no_consent"])["full_name"]
    assert name not in r.text


def test_officer_cannot_read_a_consenting_worker_who_is_no_candidate(client, tokens, facts,
                                                                     seeded):
    # A consenting worker whose passport expired is eligible for no job order (and has not
    # applied to this agency): not a candidate, so not visible.
    url = seeded["settings"].database_url
    with session_scope(url) as s:
        wid = s.scalar(select(Worker.id).where(
            Worker.consent.is_(True), Worker.id.not_in(facts["applicants"] | {facts["worker"]}),
            Worker.id.not_in(facts["candidates"])).order_by(Worker.id.desc()))
        s.execute(text("update workers set passport_expiry = '2001-01-01', "
                       "version = version + 1 where id = :i"), {"i": wid})
    r = _officer_reads(client, tokens, wid)
    assert r.status_code in (403, 404), r.text[:300]
    assert _stored(seeded, wid)["full_name"] not in r.text


# -- record-level: other agencies' job orders are not there, for an officer --------------------
@pytest.mark.parametrize("method,path,body", [
    ("GET", "/api/v1/job-orders/{id}", None),
    ("GET", "/api/v1/job-orders/{id}/candidates", None),
    ("POST", "/api/v1/job-orders/{id}/outcomes", "outcome"),
    ("GET", "/officer/jobs/{id}", None),
])
def test_officer_gets_404_for_other_agencies_job_orders(client, tokens, facts, method, path,
                                                        body):
    url = path.format(id=facts["other_job"])
    kwargs: dict = {}
    if path.startswith("/officer"):
        client.cookies.set("shetu_token", tokens["officer"])
    else:
        kwargs["headers"] = {"Authorization": f"Bearer {tokens['officer']}"}
    if body:
        kwargs["json"] = {"worker_id": facts["candidate"], "status": "shortlisted"}
    try:
        r = client.request(method, url, **kwargs)
    finally:
        client.cookies.clear()
    assert r.status_code == 404, (method, url, r.status_code, r.text[:300])


def test_officer_lists_only_their_agency(client, tokens, facts):
    r = client.get("/api/v1/job-orders", params={"limit": 500},
                   headers={"Authorization": f"Bearer {tokens['officer']}"})
    assert r.status_code == 200
    ids = {j["id"] for j in r.json()["items"]}
    assert facts["own_job"] in ids and facts["other_job"] not in ids


def test_officer_cannot_record_deployed_for_a_worker_who_never_applied(client, tokens, facts,
                                                                      seeded):
    with session_scope(seeded["settings"].database_url) as s:
        wid = s.scalar(select(Worker.id).where(Worker.id.not_in(facts["applicants"]))
                       .order_by(Worker.id))
    r = client.post(f"/api/v1/job-orders/{facts['own_job']}/outcomes",
                    json={"worker_id": wid, "status": "deployed"},
                    headers={"Authorization": f"Bearer {tokens['officer']}"})
    assert r.status_code in (403, 404, 409, 422), r.text[:300]
    with session_scope(seeded["settings"].database_url) as s:
        assert s.scalar(select(Application.id).where(
            Application.worker_id == wid, Application.job_order_id == facts["own_job"])) is None
