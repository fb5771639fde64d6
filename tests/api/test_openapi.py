"""The OpenAPI spec describes every answer: each JSON operation has a 2xx response schema."""

from __future__ import annotations

from typing import Any

import pytest

from api.app import create_app

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def spec(tmp_path_factory) -> dict[str, Any]:
    from support import make_settings

    return create_app(make_settings(tmp_path_factory.mktemp("spec")), warm_up=False).openapi()


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, item in spec["paths"].items()
            for method, op in item.items() if method in METHODS]


def test_every_json_operation_declares_a_2xx_response_schema(spec):
    lacking = []
    for method, path, op in _operations(spec):
        ok = {code: r for code, r in op["responses"].items() if code.startswith("2")}
        if set(ok) == {"204"}:
            continue  # no body
        if ok and all(r.get("content") and "application/json" not in r["content"]
                      for r in ok.values()):
            continue  # a file download: its media types are declared instead (demand letter)
        schemas = [_resolve(spec, r["content"]["application/json"].get("schema", {}))
                   for r in ok.values() if "application/json" in r.get("content", {})]
        # A named model with its fields, not "any object".
        if not schemas or not all(s.get("properties") for s in schemas):
            lacking.append(f"{method} {path}")
    assert lacking == []


def test_the_spec_covers_every_api_route(spec):
    ops = {(m, p) for m, p, _ in _operations(spec)}
    assert len([o for o in ops if o[1].startswith("/api/v1/")]) >= 25
    assert ("GET", "/health") in ops


def test_identity_numbers_are_documented_as_optional(spec):
    worker = spec["components"]["schemas"]["WorkerOut"]
    for field in ("phone", "nid_number", "passport_number", "bmet_registration"):
        assert field in worker["properties"] and field not in worker["required"]
    assert "full_name" in worker["required"]


def test_the_csv_export_is_described_beside_its_json(spec):
    content = spec["paths"]["/api/v1/audit/agencies"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/csv"} <= set(content)
