"""The FastAPI application: JSON API under /api/v1, web pages, health and metrics.

``create_app`` reads as the list of what the app is made of; each part is a function here or
in its own module (``api.security``, ``api.errors``, ``api.routes``, ``api.web``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from sqlalchemy import text
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from api.admission import AdmissionLimit, default_limit
from api.assets import assets_for
from api.docs import install_docs
from api.errors import BodySizeLimit, install_error_handlers, install_openapi
from api.i18n.render import install_page_errors
from api.schemas import Health
from api.security import install_security
from indexer.protocol import SearchUnavailableError
from indexer.service import Indexer
from matcher.encoder import one_blas_thread
from matcher.rankers import warm_rankers
from registry.config import Settings, get_settings
from registry.db import get_engine, session_scope

log = logging.getLogger("shetu")
# Request bodies larger than max_body_bytes: a demand letter (5 MiB and the form), a CSV import.
UPLOAD_LIMITS = (("/submit", 6 * 1024 * 1024), ("/import", 64 * 1024 * 1024))


def create_app(settings: Settings | None = None, indexer: Indexer | None = None,
               warm_up: bool = True) -> FastAPI:
    """Build the app for ``settings`` (defaults to the environment's)."""
    settings = settings or get_settings()
    app = FastAPI(title="Shetu", version="0.1.0", description="Skills matching for safe "
                  "labour migration", lifespan=lifespan(settings, warm_up),
                  docs_url=None, redoc_url=None)  # served offline by api.docs
    app.state.settings = settings
    app.state.indexer = indexer or Indexer(settings)
    app.state.started = time.time()
    if settings.freshness == "celery":
        from indexer.celery_app import configure

        configure(settings)
    # Innermost: a busy 503 still gets the security headers added outside it.
    app.add_middleware(AdmissionLimit, limit=(default_limit() if settings.request_concurrency
                                              is None else settings.request_concurrency),
                       queue_timeout_s=settings.request_queue_timeout_s)
    install_security(app, settings)  # headers middleware, sign-in throttle
    # Pages, stylesheets and JSON travel gzipped: a worker page's 22 KB of HTML is ~4 KB on a
    # slow phone link (issue 13: a first visit loads in under 2 s on slow 3G). No body holds a
    # secret token for a BREACH-style guess: the session is an HttpOnly SameSite cookie and the
    # forms carry no token.
    app.add_middleware(GZipMiddleware, minimum_size=500, exclude_content_types=(
        *DEFAULT_EXCLUDED_CONTENT_TYPES, "application/pdf"))
    install_error_handlers(app)
    install_page_errors(app)  # errors on page paths are pages in the reader's language
    install_openapi(app)
    install_docs(app)  # /docs and /redoc from packaged assets, no CDN
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes,
                       uploads=UPLOAD_LIMITS)
    include_routers(app)
    return app


def lifespan(settings: Settings, warm_up: bool
             ) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Return the app's start-up and shut-down: recover the index, warm caches, prune logs."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        scheduler = None
        one_blas_thread()  # the query path's BLAS and torch pools must not fight for the cores
        if warm_up:
            start_up(app.state.indexer, settings)
            if settings.freshness == "inprocess" and settings.scheduler:
                # Expiry and reconcile on the embedded default (Celery beat does it otherwise).
                from api.scheduler import Scheduler

                scheduler = Scheduler(app.state.indexer, settings.database_url,
                                      reconcile_every_s=settings.reconcile_every_s)
                scheduler.start()
        app.state.scheduler = scheduler
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.stop()
            app.state.indexer.backend.close()

    return run


def start_up(ix: Indexer, settings: Settings) -> None:
    """Load the taxonomy, make the index current, start the background caches, prune."""
    ix.taxonomy  # noqa: B018 — load now, not on the first request
    try:
        ix.ensure_indexes()
        # Drain the outbox and repair any drift (a restore, an older version, a manual
        # change): an acknowledged write is searchable after any restart, no manual step.
        ix.recover()
    except SearchUnavailableError as exc:
        # Serve anyway: searches answer 503 and the outbox is drained once search is back.
        log.warning("search unavailable at start-up: %s", exc)
    # Derived caches (ESCO label embeddings) are built in the background, never inside a
    # request: the taxonomy routes answer 503 with progress until they are ready.
    warm_rankers(settings)
    assets_for(settings.cache_dir).files()  # the font's cut (about a second, once per install)
    housekeeping(settings)


def housekeeping(settings: Settings) -> None:
    """Apply the retention rules at start-up: access log, idempotency keys, revoked tokens."""
    from registry import idempotency
    from registry.audit import prune_access_log

    try:
        with session_scope(settings.database_url) as s:
            n = prune_access_log(s, dt.date.today(), settings.access_log_retention_days)
            k = idempotency.prune(s)
        if n or k:
            log.info("retention: %d access-log rows, %d idempotency keys pruned", n, k)
    except Exception as exc:  # noqa: BLE001 — housekeeping must never stop start-up
        log.warning("retention pruning failed at start-up: %s", exc)


def include_routers(app: FastAPI) -> None:
    """Add the health probe, the JSON API and the web pages."""
    from api.routes import (
        agencies,
        audit,
        auth,
        employers,
        job_orders,
        me,
        me_reports,
        outcomes,
        taxonomy,
        workers,
    )
    from api.routes import demand as demand_routes
    from api.routes import pipeline as pipeline_routes
    from api.web import router as web_router

    for module in (auth, job_orders, workers, agencies, employers, me, audit, taxonomy,
                   outcomes):
        app.include_router(module.router)
    app.include_router(pipeline_routes.router)
    app.include_router(me_reports.router)
    app.include_router(demand_routes.router)
    app.include_router(ops_router)
    app.include_router(web_router)


ops_router = APIRouter(tags=["ops"])


def _db_ok(database_url: str) -> bool:
    try:
        with get_engine(database_url).connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 — health reports, never raises
        return False


@ops_router.get("/health")
async def health(request: Request) -> Health:
    """Liveness and readiness: database and search reachable.

    Async with its own small thread (not the request thread pool), so a crowd of slow
    ranking requests does not queue the probe behind them (docs/performance.md, Load)."""
    settings: Settings = request.app.state.settings
    try:
        db_ok = await asyncio.wait_for(asyncio.to_thread(_db_ok, settings.database_url),
                                       timeout=5)
    except TimeoutError:
        db_ok = False
    return Health(status="ok" if db_ok else "degraded", database=db_ok,
                  search_backend=settings.search_backend,
                  uptime_s=round(time.time() - request.app.state.started, 1))
