"""schemathesis against the running API: no server error and responses that match the spec.

Every operation of ``/openapi.json`` is fuzzed as every role (anonymous, auditor, worker, officer,
admin), with positive and negative data, from a fixed seed: at least 2,000 cases by default
(a few minutes on 2 cores); ``SHETU_FUZZ_EXAMPLES=N`` sets the examples per operation, role and
mode for a longer run. Writes (POST/PATCH/DELETE) are fuzzed too: the registry is throwaway.

Failures are collected, not stopped at: the assertion lists every distinct failure (operation,
role, check, status, the server's traceback line, one input that causes it) so that one run says
everything that is wrong.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.openapi.checks import JsonSchemaError
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import select

from api.app import create_app
from registry.compliance import job_is_matchable
from registry.db import session_scope
from registry.models import JobOrder, User, Worker

pytestmark = pytest.mark.slow

SEED = 20261203
MIN_CASES = 2000
ROLES = ("anonymous", "auditor", "worker", "officer", "admin")  # admin last: it deletes
# Examples per (operation, role, generation mode): 25 operations x 4 signed-in roles x 2 modes x 16
# = 3,200 tries, ~3,000 cases once operations without parameters run out of inputs (~1 min).
EXAMPLES = int(os.environ.get("SHETU_FUZZ_EXAMPLES", "16"))
ANONYMOUS_EXAMPLES = 3  # every anonymous call must answer 401 before any input is read
TOKEN_EXAMPLES = 6  # each failed sign-in costs a memory-hard hash and counts toward the throttle
CHECKS = [not_a_server_error, response_schema_conformance]
METHOD_ORDER = {"GET": 0, "POST": 1, "PATCH": 2, "DELETE": 3}
LOGOUT = "/api/v1/auth/logout"


class _Tracebacks(logging.Handler):
    """Keep the tracebacks the server logs for unhandled exceptions."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append("".join(traceback.format_exception(*record.exc_info)))


@dataclass
class Finding:
    """One distinct failure and every role and how often it happened."""

    operation: str
    check: str
    status: int
    cause: str
    example: str
    roles: set[str] = field(default_factory=set)
    count: int = 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_taxonomy(call, timeout_s: float = 600) -> None:  # type: ignore[no-untyped-def]
    """Wait until the ESCO rankers, built in the background at start-up, answer (not 503)."""
    deadline = time.monotonic() + timeout_s
    for path in ("/api/v1/taxonomy/skills", "/api/v1/taxonomy/occupations"):
        while (status := call(path)) == 503:
            assert time.monotonic() < deadline, f"{path} still 503 after {timeout_s:.0f} s"
            time.sleep(1)
        assert status == 200, (path, status)


@pytest.fixture(scope="module")
def server(seeded) -> Iterator[tuple[str, _Tracebacks]]:
    """The app served by uvicorn on 127.0.0.1 in a thread; its logged tracebacks."""
    app = create_app(seeded["settings"], indexer=seeded["indexer"])
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                        access_log=False, timeout_graceful_shutdown=5))
    tracebacks = _Tracebacks()
    logging.getLogger("uvicorn.error").addHandler(tracebacks)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}", tracebacks
    finally:
        srv.should_exit = True
        thread.join(30)
        logging.getLogger("uvicorn.error").removeHandler(tracebacks)


@pytest.fixture(scope="module")
def tokens(server) -> dict[str, str]:
    """One bearer token per role (sign-in is throttled: once per role)."""
    base, _ = server
    out = {}
    for role in ROLES[1:]:
        r = httpx.post(f"{base}/api/v1/auth/token", timeout=60,
                       data={"username": role, "password": "shetu-demo"})
        assert r.status_code == 200, (role, r.status_code, r.text)
        out[role] = r.json()["access_token"]
    bearer = {"Authorization": f"Bearer {out['admin']}"}
    # A 503 while the rankers build is by design, and would read as a server error below.
    wait_for_taxonomy(lambda path: httpx.get(f"{base}{path}", params={"q": "weld"},
                                             headers=bearer, timeout=60).status_code)
    return out


@pytest.fixture(scope="module")
def known_ids(seeded) -> dict[str, list[int]]:
    """Real ids for path parameters, so that fuzzing reaches records and not only 404s."""
    with session_scope(seeded["settings"].database_url) as s:
        officer = s.scalar(select(User).where(User.username == "officer"))
        worker = s.scalar(select(User).where(User.username == "worker"))
        own = [j.id for j in s.scalars(select(JobOrder).where(
            JobOrder.agency_id == officer.agency_id)) if job_is_matchable(j, dt.date.today())]
        other = s.scalar(select(JobOrder.id).where(JobOrder.agency_id != officer.agency_id))
        another_worker = s.scalar(select(Worker.id).where(Worker.id != worker.worker_id))
        # an employer fuzzing may retire: another agency's order's, so the officer's stay matchable
        employer = s.scalar(select(JobOrder.employer_id).where(JobOrder.id == other))
        return {"job_order_id": [own[0], other], "worker_id": [worker.worker_id, another_worker],
                "agency_id": [officer.agency_id], "employer_id": [employer]}


def _strategy(operation, mode: GenerationMode, known: dict[str, list[int]]):  # type: ignore[no-untyped-def]
    """Cases with generated path parameters, or (half of them) with real ids."""
    generated = operation.as_strategy(generation_mode=mode)
    names = [p.name for p in operation.path_parameters]
    if not names or mode is GenerationMode.NEGATIVE:
        return generated
    real = [operation.as_strategy(generation_mode=mode,
                                  path_parameters=dict.fromkeys(names, v))
            for v in known[names[0]]]
    return st.one_of(generated, *real)


def _summary(case) -> str:  # type: ignore[no-untyped-def]
    """A short description of one generated request."""
    parts = [f"{case.method} {case.formatted_path}"]
    if case.query:
        parts.append(f"query={case.query!r}")
    if not isinstance(case.body, NotSet):
        try:
            body = json.dumps(case.body, default=str)
        except (TypeError, ValueError):
            body = repr(case.body)
        parts.append(f"body={body[:300]}{'…' if len(body) > 300 else ''}")
    return " ".join(parts)


def _cause(tracebacks: _Tracebacks, seen: int, check: str, failure) -> str:  # type: ignore[no-untyped-def]
    """What went wrong, the same for every case with one root cause.

    For a 5xx: the last line of the server's traceback and our deepest frame (waits briefly for
    the log record). For a response that violates its schema: where, not with which value.
    """
    if check != "not_a_server_error":
        if isinstance(failure, JsonSchemaError):
            where = "/".join(str(p) for p in failure.instance_path) or "(root)"
            rule = "/".join(str(p) for p in failure.schema_path)
            return f"response body at {where!r} violates the declared schema ({rule})"
        return f"{failure.title}: {failure.message.strip()[:200]}"
    deadline = time.monotonic() + 1.0
    while len(tracebacks.records) <= seen and time.monotonic() < deadline:
        time.sleep(0.02)
    if len(tracebacks.records) <= seen:
        return "(no traceback logged)"
    tb = tracebacks.records[-1].strip().splitlines()
    frames = [ln.strip() for ln in tb if ln.strip().startswith("File ")]
    ours = [f for f in frames if "/site-packages/" not in f] or frames
    return f"{tb[-1][:300]}  [at {ours[-1][:200] if ours else '?'}]"


class _Fuzzer:
    """Runs generated cases against the server and collects distinct failures."""

    def __init__(self, base: str, tracebacks: _Tracebacks, known: dict[str, list[int]]) -> None:
        self.base, self.tracebacks, self.known = base, tracebacks, known
        self.session = requests.Session()
        self.findings: dict[tuple, Finding] = {}
        self.counts: dict[str, int] = {}
        self.statuses: dict[int, int] = {}

    def fuzz(self, operation, role: str, headers: dict[str, str], mode: GenerationMode,  # type: ignore[no-untyped-def]
             examples: int) -> None:
        """Run ``examples`` generated cases of one operation as one role."""
        label = f"{operation.method.upper()} {operation.path}"

        @seed(SEED)
        @settings(max_examples=examples, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=_strategy(operation, mode, self.known))
        def run(case) -> None:  # type: ignore[no-untyped-def]
            self.counts[label] = self.counts.get(label, 0) + 1
            seen = len(self.tracebacks.records)
            try:
                response = case.call(base_url=self.base, session=self.session, headers=headers,
                                     timeout=60)
            except requests.RequestException as exc:
                self._record(label, role, "no response", 0, repr(exc)[:300], case)
                return
            self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
            if (response.status_code == 401 and headers
                    and not operation.path.startswith("/api/v1/auth/")):
                # A valid token refused: the rest of this role's cases would test nothing.
                self._record(label, role, "signed-in role refused", 401, response.text[:200],
                             case)
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as group:
                for failure in group.exceptions:
                    check = ("not_a_server_error" if response.status_code >= 500
                             else "response_schema_conformance")
                    cause = _cause(self.tracebacks, seen, check, failure)
                    self._record(label, role, check, response.status_code, cause, case,
                                 response.text)

        try:
            run()
        except Unsatisfiable:
            pass  # no invalid input exists (an operation without parameters, in negative mode)

    def _record(self, label: str, role: str, check: str, status: int, cause: str, case,  # type: ignore[no-untyped-def]
                answer: str = "") -> None:
        example = _summary(case) + (f"\n    answer: {answer[:200]}" if answer else "")
        f = self.findings.setdefault((label, check, status, cause),
                                     Finding(label, check, status, cause, example))
        f.roles.add(role)
        f.count += 1

    def report(self) -> str:
        """Every distinct failure, one paragraph each."""
        return "\n".join(
            f"- {f.operation} [{f.check}] {f.status} x{f.count} roles={sorted(f.roles)}\n"
            f"    cause: {f.cause}\n    e.g. {f.example}"
            for f in sorted(self.findings.values(), key=lambda f: (f.operation, f.check, f.cause)))


# -- hostile values schemathesis does not generate ------------------------------------------------
# JSON generators stay inside what json.dumps writes: no NaN/Infinity tokens, no lone surrogates,
# no 64-bit overflow on purpose, no bodies of megabytes. Each value below goes, raw, into every
# parameter and body field of its type, for every operation of the spec.
HUGE_INTS = ("9223372036854775808", "18446744073709551616", "-9223372036854775809",
             "1000000000000000000000000000000")
NON_FINITE = ("NaN", "Infinity", "-Infinity", "1e400")
BAD_STRINGS = ('"\\ud800"', '"a\\u0000b"', '"' + "x" * 100_000 + '"')
BIG_LIST = "[" + ",".join(['"NTVQF level 2"'] * 20_000) + "]"
BIG_BODY_BYTES = 10 * 2**20
MAX_ANSWER_BYTES = 64 * 2**10  # a refusal names the problem; it never echoes the input back


def _types(prop: dict) -> set[str]:
    return {prop.get("type")} | {p.get("type") for p in prop.get("anyOf", ())} - {None}


def _body_fields(spec: dict, op: dict) -> dict[str, set[str]]:
    """Field name -> JSON types of an operation's JSON body (empty when it has none)."""
    schema = (op.get("requestBody", {}).get("content", {}).get("application/json", {})
              .get("schema"))
    if not schema:
        return {}
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return {name: _types(prop) for name, prop in schema.get("properties", {}).items()}


def _base_bodies(known: dict[str, list[int]], seeded) -> dict[tuple[str, str], dict]:  # type: ignore[no-untyped-def]
    """Valid bodies, so that the hostile value is the only thing wrong with a request."""
    with session_scope(seeded["settings"].database_url) as s:
        employer = s.scalar(select(JobOrder.employer_id).where(
            JobOrder.id == known["job_order_id"][0]))
    soon = (dt.date.today() + dt.timedelta(days=90)).isoformat()
    return {
        ("POST", "/api/v1/job-orders"): {"employer_id": employer,
                                         "agency_id": known["agency_id"][0],
                                         "destination": "Saudi Arabia", "title": "Probe",
                                         "deadline": soon},
        ("POST", "/api/v1/employers"): {"name": "Probe", "country": "Oman"},
        ("POST", "/api/v1/workers"): {"full_name": "Probe", "date_of_birth": "1995-01-01",
                                      "gender": "male"},
        ("POST", "/api/v1/agencies"): {"name": "Probe", "licence_number": "RL-PROBE",
                                       "licence_valid_until": soon},
        ("POST", "/api/v1/job-orders/{job_order_id}/outcomes"): {
            "worker_id": known["worker_id"][1], "status": "shortlisted"},
        ("POST", "/api/v1/taxonomy/suggest"): {"text": "welder"},
    }


def _probes(spec: dict, known: dict[str, list[int]], bases: dict) -> Iterator[tuple]:  # type: ignore[type-arg]
    """(method, url, content or None, what, must_refuse) for every hostile value and place."""
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            method = method.upper()
            ids = {n: v[0] for n, v in known.items()}
            url = path.format(**{n: ids.get(n, 1) for n in ids})
            params = [p for p in op.get("parameters", ()) if p["in"] in ("path", "query")]
            for p in params:
                if "integer" not in _types(p.get("schema", {})):
                    continue
                for v in HUGE_INTS:
                    if p["in"] == "path":
                        yield method, path.format(**{**ids, p["name"]: v}), None, \
                            f"path {p['name']}={v}", True
                    else:
                        yield method, f"{url}?{p['name']}={v}", None, f"query {p['name']}={v}", \
                            True
            fields = _body_fields(spec, op)
            base = bases.get((method, path), {})
            for name, types in fields.items():
                values: list[tuple[str, bool]] = []
                if types & {"number", "integer"}:
                    values += [(v, True) for v in NON_FINITE] + [(v, False) for v in HUGE_INTS]
                if "string" in types:
                    values += [(v, True) for v in BAD_STRINGS]
                if "array" in types:
                    values.append((BIG_LIST, True))
                for raw, refuse in values:
                    rest = json.dumps({k: v for k, v in base.items() if k != name})
                    body = rest[:-1] + (", " if len(rest) > 2 else "") + f'"{name}": {raw}}}'
                    yield method, url, body.encode(), f"body {name}={raw[:40]}", refuse
            if fields:
                big = '{"' + next(iter(fields)) + '": "' + "x" * BIG_BODY_BYTES + '"}'
                yield method, url, big.encode(), "a 10 MiB body", True
                yield method, url, b"[" * 100_000 + b"]" * 100_000, "JSON nested 100,000 deep", \
                    True


def test_hostile_values_never_cause_a_server_error(server, tokens, known_ids, seeded):
    base, tracebacks = server
    spec = httpx.get(f"{base}/openapi.json", timeout=60).json()
    bases = _base_bodies(known_ids, seeded)
    failures, sent = [], 0
    with httpx.Client(base_url=base, timeout=120) as client:
        for method, url, content, what, must_refuse in _probes(spec, known_ids, bases):
            if url.startswith("/api/v1/auth/"):
                continue  # sign-in is form-encoded and throttled; covered by the fuzzing above
            role = "worker" if url.startswith("/api/v1/me") else "admin"
            seen = len(tracebacks.records)
            headers = {"Authorization": f"Bearer {tokens[role]}"}
            if content is not None:
                headers["Content-Type"] = "application/json"
            if "licence_number" not in what and b"RL-PROBE" in (content or b""):
                content = content.replace(b"RL-PROBE", f"RL-PROBE-{sent}".encode())
            sent += 1
            try:
                r = client.request(method, url, content=content, headers=headers)
            except httpx.HTTPError as exc:
                failures.append(f"{method} {url} with {what}: no answer ({exc!r})")
                continue
            problem = None
            if r.status_code >= 500:
                problem = _cause(tracebacks, seen, "not_a_server_error", None)
            elif must_refuse and r.status_code < 300:
                problem = "accepted (stored or served) instead of refused"
            elif len(r.content) > MAX_ANSWER_BYTES:
                problem = f"answer of {len(r.content)} bytes (the input echoed back?)"
            if problem:
                failures.append(f"{method} {url} with {what}: {r.status_code}: {problem}")
    report = "\n".join(f"- {f}" for f in failures)
    print(f"\nhostile values: {sent} requests, {len(failures)} failures\n{report}")
    assert sent > 200
    assert not failures, f"{len(failures)} of {sent} hostile requests failed:\n{report}"


# Last: the fuzzing deletes records the probes above use.
def test_fuzz_every_operation_as_every_role(server, tokens, known_ids):
    base, tracebacks = server
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    # We send each role's own token; schemathesis must not generate (or drop) credentials.
    schema.config.generation.update(with_security_parameters=False)
    # Signing out revokes the role's token: that operation goes last.
    operations = sorted((r.ok() for r in schema.get_all_operations()),
                        key=lambda op: (op.path == LOGOUT, METHOD_ORDER.get(op.method.upper(), 9),
                                        op.path))
    fuzzer = _Fuzzer(base, tracebacks, known_ids)
    started = time.monotonic()
    for operation in operations:
        for role in ROLES:
            headers = {"Authorization": f"Bearer {tokens[role]}"} if role in tokens else {}
            n = ANONYMOUS_EXAMPLES if role == "anonymous" else EXAMPLES
            if operation.path == "/api/v1/auth/token":
                n = min(n, TOKEN_EXAMPLES)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                fuzzer.fuzz(operation, role, headers, mode, n)

    total = sum(fuzzer.counts.values())
    labels = [f"{op.method.upper()} {op.path}" for op in operations]
    untested = [label for label in labels if label not in fuzzer.counts]
    report = fuzzer.report()
    print(f"\nfuzzed {total} cases over {len(fuzzer.counts)} operations x {len(ROLES)} roles "
          f"(seed {SEED}) in {time.monotonic() - started:.0f} s; "
          f"{len(fuzzer.findings)} distinct failures; statuses {sorted(fuzzer.statuses.items())}"
          f"\n{report}")
    assert not untested, f"operations never fuzzed: {untested}"
    assert total >= MIN_CASES, f"only {total} cases generated (need {MIN_CASES})"
    assert not fuzzer.findings, (f"{len(fuzzer.findings)} distinct failures in {total} cases:\n"
                                 f"{report}")
