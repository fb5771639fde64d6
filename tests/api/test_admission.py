"""api/admission.py: at most N requests work at once; the rest wait, or get a clear 503."""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from support import make_settings

from api.admission import AdmissionLimit
from api.app import create_app

running = 0
peak = 0


async def slow(request):  # type: ignore[no-untyped-def]
    global running, peak
    running += 1
    peak = max(peak, running)
    await asyncio.sleep(float(request.query_params.get("s", "0.2")))
    running -= 1
    return PlainTextResponse("done")


async def health(_request):  # type: ignore[no-untyped-def]
    return PlainTextResponse("ok")


def _app(limit: int, timeout: float) -> AdmissionLimit:
    inner = Starlette(routes=[Route("/api/v1/slow", slow), Route("/page", slow),
                              Route("/health", health)])
    return AdmissionLimit(inner, limit=limit, queue_timeout_s=timeout)


async def _get(app, *paths: str) -> list[httpx.Response]:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://127.0.0.1") as c:
        return list(await asyncio.gather(*(c.get(p) for p in paths)))


def test_no_more_than_the_limit_run_at_once_and_the_rest_wait_their_turn():
    global peak
    peak = 0
    out = asyncio.run(_get(_app(limit=2, timeout=5), *["/api/v1/slow?s=0.1"] * 6))
    assert [r.status_code for r in out] == [200] * 6  # all served, none refused
    assert peak == 2


def test_a_request_that_waits_too_long_gets_503_with_retry_after_json_or_page():
    out = asyncio.run(_get(_app(limit=1, timeout=0.2), "/api/v1/slow?s=1", "/api/v1/slow?s=0",
                           "/page?s=0"))
    first, api, page = out
    assert first.status_code == 200
    assert api.status_code == 503 and api.headers["retry-after"] == "5"
    assert "busy" in api.json()["detail"]
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Busy</h1>" in page.text and 'lang="bn"' in page.text


def test_health_is_never_queued_behind_work():
    async def run() -> tuple[float, int]:
        app = _app(limit=1, timeout=10)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://127.0.0.1") as c:
            busy = [asyncio.create_task(c.get("/api/v1/slow?s=1")) for _ in range(3)]
            await asyncio.sleep(0.05)
            t0 = asyncio.get_running_loop().time()
            r = await c.get("/health")
            took = asyncio.get_running_loop().time() - t0
            await asyncio.gather(*busy)
            return took, r.status_code
    took, code = asyncio.run(run())
    assert code == 200 and took < 0.5  # the three slow requests take 3 s in a row


def test_the_app_applies_the_setting(tmp_path):
    app = create_app(make_settings(tmp_path, request_concurrency=3), warm_up=False)
    limits = [m.kwargs["limit"] for m in app.user_middleware if m.cls is AdmissionLimit]
    assert limits == [3]
