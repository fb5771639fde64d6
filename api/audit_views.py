"""What the audit API, pages and report share: where each piece of evidence can be seen, the rule
catalogue with sources, and the rows of the CSV exports (cells a spreadsheet never runs)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from registry.audit_rules import contract, demand, fairness, fees, licence, red_flags
from registry.audit_rules.overview import rule_catalogue
from registry.audit_rules.score import LEVELS

# Where each rule's source is cited in code (the module constant the findings carry).
RULE_SOURCES: dict[str, str] = {
    "licence_open_demand": licence.SOURCE,
    "licence_placements": licence.SOURCE,
    "demand_not_verified": demand.SOURCE,
    "demand_matched_unverified": demand.SOURCE,
    "fee_above_ceiling": fees.CEILING_SOURCE.format(
        publisher="publisher per destination", reported="date per destination",
        url="source_url per destination"),
    "fee_charged": fees.EMPLOYER_PAYS_SOURCE,
    "fee_ceiling_unknown": fees.UNKNOWN_SOURCE,
    "contract_substitution": contract.SOURCE,
    "wage_below_minimum": red_flags.WAGE_SOURCE.format(
        publisher="registry/data/minimum_wages.csv, publisher per row",
        url="source_url per row"),
    "employer_no_verified_demand": red_flags.EMPLOYER_SOURCE,
    "complaints_ignored": red_flags.COMPLAINT_SOURCE.format(days=red_flags.COMPLAINT_DAYS),
    "placements_while_complaints_ignored": red_flags.COMPLAINT_SOURCE.format(
        days=red_flags.COMPLAINT_DAYS),
    "fee_jump": red_flags.FEE_JUMP_SOURCE.format(ratio=red_flags.FEE_JUMP_RATIO,
                                                 days=red_flags.FEE_JUMP_WINDOW_DAYS),
    "selection_rate_gap": fairness.SOURCE,
}
# Evidence kinds with a page of their own (the row's facts); job orders and agencies are shown
# on the agency's page; "counts" carry their facts in the finding itself.
EVIDENCE_PAGES = ("fee_report", "contract_report", "complaint", "application", "transition",
                  "access_log", "employer")
# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection,
# OWASP): such cells are written with a leading apostrophe, which shows the text as typed.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def catalogue() -> list[dict[str, Any]]:
    """Every scored rule with its weight, cap, reason and source."""
    return [{**r, "source": RULE_SOURCES.get(r["rule"], "")} for r in rule_catalogue()]


def levels() -> dict[str, float]:
    """The score from which each risk level starts."""
    return {name: threshold for threshold, name in LEVELS}


def evidence_href(kind: str, row_id: int | None, agency_id: int,
                  job_order_id: int | None = None) -> str | None:
    """Where an auditor sees a piece of evidence (a page of this app), or None."""
    if row_id is None:
        return None
    if kind == "job_order":
        return f"/auditor/agencies/{agency_id}#job-{row_id}"
    if kind == "agency":
        return f"/auditor/agencies/{row_id}"
    if kind == "counts":
        return (f"/auditor/agencies/{agency_id}#job-{job_order_id}" if job_order_id
                else f"/auditor/agencies/{agency_id}#charts")
    if kind in EVIDENCE_PAGES:
        return f"/auditor/evidence?kind={kind}&id={row_id}"
    return None


def with_links(detail: dict[str, Any]) -> dict[str, Any]:
    """Return ``audit_agency``'s answer with an ``href`` on every piece of evidence."""
    findings = []
    for f in detail["findings"]:
        evidence = [{**e, "href": evidence_href(e["kind"], e["id"], f["agency_id"],
                                                 f["job_order_id"])} for e in f["evidence"]]
        findings.append({**f, "evidence": evidence})
    return {**detail, "findings": findings}


def csv_safe(value: object) -> object:
    """Return a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(header: list[str], rows: Iterable[dict[str, Any]]) -> str:
    """Write rows (dicts keyed by ``header``) as CSV text with a header line."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, extrasaction="ignore")
    w.writeheader()
    w.writerows({k: csv_safe(v) for k, v in r.items()} for r in rows)
    return buf.getvalue()


AGENCY_COLUMNS = ["agency_id", "name", "licence_number", "licence_status",
                  "licence_valid_until", "district", "risk_score", "risk_level", "flags",
                  "score_parts", "findings", "anomaly", "outlier"]
FINDING_COLUMNS = ["agency_id", "rule", "severity", "count", "job_order_id", "summary",
                   "evidence", "source"]
ACCESS_COLUMNS = ["at", "username", "role", "action", "worker_ids", "workers", "job_order_id",
                  "job_order_title", "agency_id"]


def agency_csv_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Agency rows flattened for CSV: flags and score parts as ``a;b`` lists."""
    return [{**r, "flags": ";".join(r["flags"]),
             "score_parts": ";".join(f"{p['rule']}={p['points']:g}" for p in r["score_parts"]),
             "anomaly": (r["second_opinion"] or {}).get("anomaly"),
             "outlier": (r["second_opinion"] or {}).get("outlier")} for r in rows]


def finding_csv_rows(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings flattened for CSV: evidence as ``kind:id`` references."""
    return [{**f, "evidence": ";".join(f"{e['kind']}:{e['id']}" for e in f["evidence"])}
            for f in findings]


def access_csv_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Access-log rows flattened for CSV."""
    return [{**r, "at": r["at"].isoformat() if r["at"] else "",
             "worker_ids": ";".join(map(str, r["worker_ids"])),
             "workers": ";".join(w["name"] or "" for w in r["workers"])} for r in rows]
