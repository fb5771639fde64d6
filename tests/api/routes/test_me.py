"""api/routes/me.py: the signed-in worker's profile and eligible jobs."""

from __future__ import annotations


def test_worker_sees_eligible_jobs_with_ceiling_and_licence(client, tokens):
    r = client.get("/api/v1/me/eligible-jobs", headers=tokens["worker"])
    assert r.status_code == 200
    body = r.json()
    items = body["items"] + body["not_eligible"]
    assert items, "the demo worker should see some verified jobs"
    for it in body["items"]:
        assert it["agency"]["licence_status"] == "valid"
        assert {"job_order_id", "score", "destination", "cost_ceiling_bdt", "missing"} <= set(it)
    for it in body["not_eligible"]:
        assert any(m["kind"] != "skill" for m in it["missing"])


def test_skill_gaps_carry_no_rule_fields(client, tokens):
    body = client.get("/api/v1/me/eligible-jobs", headers=tokens["worker"]).json()
    gaps = [m for it in body["items"] + body["not_eligible"] for m in it["missing"]]
    for m in gaps:
        if m["kind"] == "skill":
            assert set(m) == {"kind", "what"}
        else:
            assert {"what_bn", "fix"} <= set(m)


def test_own_profile_has_identity_numbers(client, tokens):
    body = client.get("/api/v1/me", headers=tokens["worker"]).json()
    assert {"phone", "nid_number", "passport_number", "bmet_registration"} <= set(body)
    assert client.get("/api/v1/me", headers=tokens["officer"]).status_code == 403
