"""Admission control: at most N requests do work at once; the rest wait their turn on the loop.

Ranking is CPU work in Python threads. With 50 clients, 40 threads of the request pool compete
for the GIL on two cores: every request gets slower and the operator's ``/health`` probe waits
seconds for a thread (docs/performance.md, "Load"). Here a request first takes one of
``limit`` slots — waiting for a slot costs no thread and no GIL, it is an ``await`` on the event
loop — so the few requests that run get the CPU, and the probe, the metrics and static assets
(exempt) answer at once. A request that waits longer than ``queue_timeout_s`` gets 503 with
Retry-After (a page for page paths, JSON for the API), never a hang.
"""

from __future__ import annotations

import asyncio
import json
import os

from starlette.types import ASGIApp, Receive, Scope, Send

EXEMPT = ("/health", "/metrics", "/static/")
RETRY_AFTER_S = 5
BUSY = "The server is busy; please try again in a few seconds."
BUSY_BN = "সার্ভার এখন ব্যস্ত; কয়েক সেকেন্ড পরে আবার চেষ্টা করুন।"
# A self-contained page (no template, no asset): it must work when nothing else does.
BUSY_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>Busy</title></head><body><main><h1>Busy</h1>"
    f"<p>{BUSY}</p><p lang=\"bn\">{BUSY_BN}</p></main></body></html>"
)


def default_limit() -> int:
    """Two requests per core, at least four: enough to keep the cores busy while one waits
    on the database or the index."""
    return max(4, 2 * (os.cpu_count() or 1))


class AdmissionLimit:
    """ASGI middleware: ``limit`` concurrent requests (0 = no limit), FIFO-ish waiting."""

    def __init__(self, app: ASGIApp, limit: int, queue_timeout_s: float = 30.0,
                 exempt: tuple[str, ...] = EXEMPT) -> None:
        self.app = app
        self.limit = limit
        self.queue_timeout_s = queue_timeout_s
        self.exempt = exempt
        self._slots: asyncio.Semaphore | None = None  # made on the serving loop, lazily

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or self.limit <= 0
                or scope.get("path", "").startswith(self.exempt)):
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout=self.queue_timeout_s)
        except TimeoutError:
            await _busy(scope, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._slots.release()


async def _busy(scope: Scope, send: Send) -> None:
    page = not scope.get("path", "").startswith("/api/")
    if page:
        body, ctype = BUSY_PAGE.encode("utf-8"), b"text/html; charset=utf-8"
    else:
        body, ctype = json.dumps({"detail": BUSY}).encode("utf-8"), b"application/json"
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", ctype), (b"retry-after", str(RETRY_AFTER_S).encode()),
                            (b"cache-control", b"no-store"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
