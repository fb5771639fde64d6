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
        return {"job_order_id": [own[0], other], "worker_id": [worker.worker_id, another_worker],
                "agency_id": [officer.agency_id]}


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


def test_fuzz_every_operation_as_every_role(server, tokens, known_ids):
    base, tracebacks = server
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    # We send each role's own token; schemathesis must not generate (or drop) credentials.
    schema.config.generation.update(with_security_parameters=False)
    operations = sorted((r.ok() for r in schema.get_all_operations()),
                        key=lambda op: (METHOD_ORDER.get(op.method.upper(), 9), op.path))
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
