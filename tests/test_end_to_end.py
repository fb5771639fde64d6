"""End to end with the real packaged MiniLM, SQLite and the embedded backend."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from support import make_settings, seed_registry, submit_and_verify

from api.app import create_app

pytestmark = pytest.mark.slow


def _occupation(tax, label: str) -> str:
    return next(o.uri for o in tax.occupations.values() if o.label == label)


@pytest.fixture(scope="module")
def system(tmp_path_factory, taxonomy):
    settings = make_settings(tmp_path_factory.mktemp("e2e"), model="packaged:all-MiniLM-L6-v2")
    out = seed_registry(settings, taxonomy, workers=60, job_orders=15, agencies=4)
    app = create_app(settings, indexer=out["indexer"])
    with TestClient(app) as client:
        tok = {u: {"Authorization": "Bearer " + client.post(
            "/api/v1/auth/token", data={"username": u, "password": "shetu-demo"}
        ).json()["access_token"]} for u in ("admin", "officer")}
        yield client, tok, taxonomy
    out["indexer"].backend.close()


def test_the_obviously_right_worker_outranks_the_obviously_wrong_one(system):
    client, tok, tax = system
    welder = _occupation(tax, "welder")
    cook = _occupation(tax, "cook")
    agency = client.post("/api/v1/agencies", headers=tok["admin"], json={
        "name": "E2E Overseas Ltd", "licence_number": "RL-E2E",
        "licence_valid_until": "2035-01-01"}).json()
    deadline = dt.date.today() + dt.timedelta(days=60)
    job = client.post("/api/v1/job-orders", headers=tok["admin"], json={
        "employer_id": 1, "agency_id": agency["id"], "destination": "Saudi Arabia",
        "occupation_uri": welder, "title": "MIG/TIG welder for steel structures",
        "description": "Weld steel beams on construction sites; read blueprints.",
        "required_skills": list(tax.essential[welder])[:6], "deadline": deadline.isoformat(),
        "recruitment_permission": "BMET-RP-1"})
    assert job.status_code == 201, job.text
    submit_and_verify(client, job.json()["id"], tok["admin"], tok["admin"])
    common = {"gender": "male", "date_of_birth": "1992-03-03", "medical_fit": True,
              "passport_expiry": (deadline + dt.timedelta(days=800)).isoformat(),
              "languages": ["Bangla"], "bmet_registration": "BMET-9", "consent": True,
              "attestation": {"source": "GAMCA report, passport and BMET card seen"}}
    right = client.post("/api/v1/workers", headers=tok["admin"], json={
        **common, "full_name": "Right Fit",
        "self_description": "I did arc welding and steel fabrication in Dammam for 7 years."}
    ).json()
    wrong = client.post("/api/v1/workers", headers=tok["admin"], json={
        **common, "full_name": "Wrong Fit",
        "self_description": "I cooked rice and curry in a restaurant kitchen for 7 years.",
        "experience": [{"occupation_uri": cook, "years": 7}]}).json()
    r = client.get(f"/api/v1/job-orders/{job.json()['id']}/candidates?limit=200",
                   headers=tok["admin"])
    assert r.status_code == 200
    ranked = [i["worker_id"] for i in r.json()["items"]]
    assert right["id"] in ranked and wrong["id"] in ranked
    assert ranked.index(right["id"]) < ranked.index(wrong["id"])
    # Free text alone (no structured skills) still lands the welder near the top.
    assert ranked.index(right["id"]) < 5
