"""api/routes/auth.py: sign-in answers (throttling, sign-out: tests/api/test_auth_security.py)."""

from __future__ import annotations


def test_wrong_password_is_401(client):
    r = client.post("/api/v1/auth/token", data={"username": "admin", "password": "nope"})
    assert r.status_code == 401


def test_wrong_password_answer_asks_for_a_bearer_token(client):
    r = client.post("/api/v1/auth/token", data={"username": "nobody", "password": "nope"})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    assert r.json() == {"detail": "wrong username or password"}
