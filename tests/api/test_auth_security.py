"""Sign-in, tokens and HTTP hardening: one rule for API and web, throttling, revocation, headers."""

from __future__ import annotations

import datetime as dt
import statistics
import time
import uuid

import jwt
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select
from support import make_settings

from api.app import create_app
from registry.db import session_scope
from registry.models import User
from registry.security import SignInThrottle, hash_password, pbkdf2_hash
from registry.seed import DEMO_USERS

PROD_SECRET = "a-production-secret-of-at-least-32-characters"
OPS_PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def ops_user(seeded):
    """A real (non-demo) admin, so that production mode has someone who may sign in."""
    with session_scope(seeded["settings"].database_url) as s:
        s.add(User(username="ops", password_hash=hash_password(OPS_PASSWORD), role="admin"))
    return "ops"


def client_for(seeded, **overrides) -> TestClient:
    """A client on a fresh app (own throttle) over the module's seeded registry."""
    settings = make_settings(seeded["settings"].var_dir, **overrides) if overrides \
        else seeded["settings"]
    app = create_app(settings, indexer=seeded["indexer"], warm_up=False)
    base = "https://testserver" if settings.env == "production" else "http://testserver"
    return TestClient(app, base_url=base)


def prod_client(seeded) -> TestClient:
    return client_for(seeded, env="production", secret_key=PROD_SECRET, demo_accounts=False)


def sign_in(client, username, password="shetu-demo"):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def bearer(r) -> dict[str, str]:
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_production_refuses_demo_accounts_on_api_and_web_alike(seeded, ops_user):
    client = prod_client(seeded)
    api = sign_in(client, "admin")
    web = client.post("/login", data={"username": "admin", "password": "shetu-demo"},
                      headers={"Accept-Language": "en"}, follow_redirects=False)
    assert api.status_code == 401 and api.json()["detail"] == "wrong username or password"
    assert web.status_code == 401 and "Wrong username or password" in web.text
    assert "shetu_token" not in web.cookies and "shetu_token" not in client.cookies
    # A token minted for a demo user (say, before demo accounts were switched off) is refused.
    old = jwt.encode({"sub": "admin", "role": "admin", "iat": int(time.time()),
                      "exp": int(time.time()) + 600, "jti": uuid.uuid4().hex}, PROD_SECRET)
    r = client.get("/api/v1/agencies", headers={"Authorization": f"Bearer {old}"})
    assert r.status_code == 401
    # The real admin signs in on both.
    assert client.get("/api/v1/agencies", headers=bearer(sign_in(client, ops_user,
                                                                  OPS_PASSWORD))).status_code == 200
    r = client.post("/login", data={"username": ops_user, "password": OPS_PASSWORD},
                    follow_redirects=False)
    assert r.status_code == 303


@pytest.mark.parametrize("missing", ["exp", "jti", "sub", "iat"])
def test_token_without_a_required_claim_is_refused(seeded, missing):
    client = client_for(seeded)
    now = int(time.time())
    claims = {"sub": "admin", "role": "admin", "iat": now, "exp": now + 600,
              "jti": uuid.uuid4().hex}
    secret = seeded["settings"].secret_key
    ok = jwt.encode(claims, secret)
    assert client.get("/api/v1/agencies",
                      headers={"Authorization": f"Bearer {ok}"}).status_code == 200
    claims.pop(missing)
    r = client.get("/api/v1/agencies",
                   headers={"Authorization": f"Bearer {jwt.encode(claims, secret)}"})
    assert r.status_code == 401 and missing in r.json()["detail"]


def test_api_sign_out_revokes_the_token(seeded):
    client = client_for(seeded)
    headers = bearer(sign_in(client, "auditor"))
    assert client.get("/api/v1/agencies", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    r = client.get("/api/v1/agencies", headers=headers)
    assert r.status_code == 401 and "signed out" in r.json()["detail"]
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 401
    # A fresh sign-in gets a fresh token that works.
    assert client.get("/api/v1/agencies",
                      headers=bearer(sign_in(client, "auditor"))).status_code == 200


def test_web_sign_out_is_a_post_that_revokes_the_cookie(seeded):
    client = client_for(seeded)
    assert client.get("/logout").status_code == 405
    r = client.post("/login", data={"username": "officer", "password": "shetu-demo"},
                    follow_redirects=False)
    assert r.status_code == 303
    token = client.cookies["shetu_token"]
    page = client.get("/officer")
    assert page.status_code == 200 and 'action="/logout"' in page.text
    assert page.headers["cache-control"] == "no-store"  # "Back" after sign-out shows nothing
    r = client.post("/logout", follow_redirects=False)
    assert r.status_code == 303 and "shetu_token" not in client.cookies
    # The old cookie value is dead everywhere, not only forgotten by this browser.
    client.cookies.set("shetu_token", token)
    r = client.get("/officer", follow_redirects=False)  # to sign in: "your session has expired"
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=%2Fofficer")
    assert client.get("/api/v1/job-orders",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_wrong_password_flood_locks_the_account_not_the_others(seeded):
    client = client_for(seeded)
    for _ in range(5):
        assert sign_in(client, "auditor", "guess").status_code == 401
    r = sign_in(client, "auditor", "guess")
    assert r.status_code == 429 and "too many failed sign-ins" in r.json()["detail"]
    assert 1 <= int(r.headers["retry-after"]) <= 30
    # Locked means locked: even the right password waits (no hashing, no oracle).
    assert sign_in(client, "auditor").status_code == 429
    web = client.post("/login", data={"username": "auditor", "password": "shetu-demo"},
                      headers={"Accept-Language": "en"})
    assert web.status_code == 429 and "Too many failed sign-ins" in web.text
    assert "retry-after" in web.headers
    # Another account from the same address still signs in.
    assert sign_in(client, "officer").status_code == 200


def test_a_success_resets_the_account_count(seeded):
    client = client_for(seeded)
    for _ in range(4):
        assert sign_in(client, "worker", "guess").status_code == 401
    assert sign_in(client, "worker").status_code == 200
    for _ in range(4):
        assert sign_in(client, "worker", "guess").status_code == 401
    assert sign_in(client, "worker").status_code == 200


def test_one_address_is_throttled_across_usernames(seeded):
    client = client_for(seeded)
    for i in range(20):
        assert sign_in(client, f"nobody{i}", "guess").status_code == 401
    r = sign_in(client, "admin")
    assert r.status_code == 429 and "your address" in r.json()["detail"]
    assert 1 <= int(r.headers["retry-after"]) <= 60


def test_account_delay_grows_and_expires():
    now = [1000.0]
    throttle = SignInThrottle(clock=lambda: now[0])
    for _ in range(5):
        throttle.check("a", "x")
        throttle.failed("a", "x")
    waits = []
    for _ in range(3):
        with pytest.raises(Exception) as exc:
            throttle.check("a", "x")
        waits.append(exc.value.retry_after)
        now[0] += exc.value.retry_after
        throttle.check("a", "x")  # the wait is over: one more try
        throttle.failed("a", "x")
    assert waits == [30, 60, 120]
    now[0] += 15 * 60 + 1  # failures older than the window are forgotten
    throttle.check("a", "x")


def test_hashing_is_bounded_and_overflow_is_refused_quickly(seeded):
    client = client_for(seeded)
    throttle = SignInThrottle(hash_slots=1, hash_wait_s=0.05)
    client.app.state.signin_throttle = throttle
    with throttle.hashing():  # the only slot is taken (a flood in progress)
        start = time.perf_counter()
        r = sign_in(client, "officer")
        assert time.perf_counter() - start < 1
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
    assert sign_in(client, "officer").status_code == 200


def test_unknown_user_and_wrong_password_look_the_same(seeded):
    client = client_for(seeded)
    client.app.state.signin_throttle = SignInThrottle(account_free_failures=1000,
                                                      address_max_failures=1000)
    unknown, wrong, bodies = [], [], set()
    for i in range(7):
        for user, times in ((f"nobody-{i}", unknown), ("admin", wrong)):
            start = time.perf_counter()
            r = sign_in(client, user, "guess")
            times.append(time.perf_counter() - start)
            assert r.status_code == 401
            bodies.add(r.text)
    assert len(bodies) == 1
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.5 < ratio < 2, (unknown, wrong)


def test_old_hashes_are_upgraded_to_argon2id_at_sign_in(seeded):
    client = client_for(seeded)
    weak_argon = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    for name, old in (("legacy-pbkdf2", pbkdf2_hash("pw-one")),
                      ("legacy-argon", weak_argon.hash("pw-two"))):
        password = "pw-one" if name == "legacy-pbkdf2" else "pw-two"
        with session_scope(seeded["settings"].database_url) as s:
            s.add(User(username=name, password_hash=old, role="auditor"))
        assert sign_in(client, name, password).status_code == 200
        with session_scope(seeded["settings"].database_url) as s:
            new = s.scalar(select(User.password_hash).where(User.username == name))
        assert new.startswith("$argon2id$v=19$m=19456,t=2,p=1$") and new != old
        assert sign_in(client, name, password).status_code == 200
        assert sign_in(client, name, "wrong").status_code == 401


def test_demo_users_have_their_own_argon2id_hashes(seeded):
    with session_scope(seeded["settings"].database_url) as s:
        hashes = s.scalars(select(User.password_hash).where(User.is_demo.is_(True))).all()
    assert len(hashes) == len(DEMO_USERS) and len(set(hashes)) == len(DEMO_USERS)
    assert all(h.startswith("$argon2id$") for h in hashes)


def test_security_headers_on_pages_and_api(seeded):
    client = client_for(seeded)
    for r in (client.get("/"), client.get("/health"), sign_in(client, "nobody", "x")):
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "camera=()" in r.headers["permissions-policy"]
        assert r.headers["cache-control"] == "no-store"
    page = client.get("/").text
    # Nothing inline for the CSP to block: styles come from the one stylesheet.
    assert "<style" not in page and "style=" not in page and "<script" not in page
    css = client.get("/static/shetu.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "header{" in css.text and "no-store" not in css.headers["cache-control"]
    # Swagger UI is served by the app: its page allows scripts from this site only.
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "https:" not in docs.headers["content-security-policy"]
    assert "script-src 'self';" in docs.headers["content-security-policy"]


def test_cookie_is_secure_in_production_and_httponly_lax_always(seeded, ops_user):
    r = prod_client(seeded).post("/login", data={"username": ops_user, "password": OPS_PASSWORD},
                                 follow_redirects=False)
    cookie = r.headers["set-cookie"].lower()
    assert r.status_code == 303 and "secure" in cookie
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "strict-transport-security" in r.headers
    r = client_for(seeded).post("/login", data={"username": "officer", "password": "shetu-demo"},
                                follow_redirects=False)
    assert "secure" not in r.headers["set-cookie"].lower()


def test_expired_token_is_refused(seeded):
    client = client_for(seeded)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    token = jwt.encode({"sub": "admin", "role": "admin", "iat": past - dt.timedelta(hours=1),
                        "exp": past, "jti": uuid.uuid4().hex}, seeded["settings"].secret_key)
    r = client.get("/api/v1/agencies", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and "expired" in r.json()["detail"]
