"""The FastAPI application: JSON API under /api/v1, web pages, health and metrics."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text

from api.errors import BodySizeLimit, install_error_handlers, install_openapi
from api.i18n.render import install_page_errors
from api.security import install_security
from indexer.protocol import SearchUnavailableError
from indexer.service import Indexer
from matcher.normalise import warm_rankers
from registry.config import Settings, get_settings
from registry.db import get_engine, session_scope

log = logging.getLogger("shetu")


def _housekeeping(settings: Settings) -> None:
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


def create_app(settings: Settings | None = None, indexer: Indexer | None = None,
               warm_up: bool = True) -> FastAPI:
    """Build the app for ``settings`` (defaults to the environment's)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        if warm_up:
            ix = app.state.indexer
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
            _housekeeping(settings)
        yield
        app.state.indexer.backend.close()

    app = FastAPI(title="Shetu", version="0.1.0", lifespan=lifespan,
                  description="Skills matching for safe labour migration")
    app.state.settings = settings
    install_security(app, settings)  # headers middleware, sign-in throttle
    app.state.indexer = indexer or Indexer(settings)
    if settings.freshness == "celery":
        from indexer.celery_app import configure

        configure(settings)
    app.state.started = time.time()

    install_error_handlers(app)
    install_page_errors(app)  # errors on page paths are pages in the reader's language
    install_openapi(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)

    def _db_ok() -> bool:
        try:
            with get_engine(settings.database_url).connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 — health reports, never raises
            return False

    @app.get("/health", tags=["ops"])
    async def health() -> dict:
        """Liveness and readiness: database and search reachable.

        Async with its own small thread (not the request thread pool), so a crowd of slow
        ranking requests does not queue the probe behind them (docs/performance.md, Load)."""
        try:
            db_ok = await asyncio.wait_for(asyncio.to_thread(_db_ok), timeout=5)
        except TimeoutError:
            db_ok = False
        return {"status": "ok" if db_ok else "degraded", "database": db_ok,
                "search_backend": settings.search_backend,
                "uptime_s": round(time.time() - app.state.started, 1)}

    from api.routes import agencies, audit, job_orders, me, outcomes, workers
    from api.routes import auth as auth_routes
    from api.routes import taxonomy as taxonomy_routes
    from api.web import router as web_router

    for r in (auth_routes.router, job_orders.router, workers.router, agencies.router, me.router,
              audit.router, taxonomy_routes.router, outcomes.router, web_router):
        app.include_router(r)
    return app
