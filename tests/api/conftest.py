"""Fixtures of the API tests: a client on the module's seeded app, and a token per role."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app

ROLES = ("officer", "worker", "auditor", "ministry", "admin")


@pytest.fixture(scope="module")
def client(seeded):
    """A client of the app over the module's seeded registry and index (started up)."""
    with TestClient(create_app(seeded["settings"], indexer=seeded["indexer"])) as c:
        yield c


@pytest.fixture(scope="module")
def tokens(client) -> dict[str, dict[str, str]]:
    """Bearer headers per demo role (signed in once per module: sign-in is throttled)."""
    out = {}
    for role in ROLES:
        r = client.post("/api/v1/auth/token", data={"username": role, "password": "shetu-demo"})
        assert r.status_code == 200, r.text
        assert r.json()["token_type"] == "bearer"
        out[role] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return out
