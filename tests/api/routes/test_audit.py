"""api/routes/audit.py: agency risk (JSON and CSV) and the access log."""

from __future__ import annotations


def test_auditor_sees_agency_risk_and_csv(client, tokens):
    rows = client.get("/api/v1/audit/agencies", headers=tokens["auditor"]).json()["items"]
    assert rows[0]["risk_score"] >= rows[-1]["risk_score"]
    assert any(r["fees_above_ceiling"] > 0 for r in rows)
    csv_text = client.get("/api/v1/audit/agencies?format=csv", headers=tokens["auditor"]).text
    assert csv_text.splitlines()[0].startswith("agency_id,name,licence_number")
    assert len(csv_text.splitlines()) == len(rows) + 1


def test_access_log_lists_who_read_a_profile(client, tokens):
    wid = 1
    assert client.get(f"/api/v1/workers/{wid}", headers=tokens["admin"]).status_code == 200
    rows = client.get(f"/api/v1/audit/access-log?worker_id={wid}",
                      headers=tokens["auditor"]).json()["items"]
    assert rows[0]["username"] == "admin" and rows[0]["action"] == "read_profile"
    assert rows[0]["worker_ids"] == [wid] and rows[0]["at"]
