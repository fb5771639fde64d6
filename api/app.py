"""The FastAPI application: JSON API under /api/v1, web pages, health and metrics."""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from api.security import install_security
from indexer.protocol import InvalidFilterError, SearchUnavailableError
from indexer.service import Indexer
from registry.config import Settings, get_settings
from registry.db import get_engine
from registry.service import ConflictError, NotFoundError

log = logging.getLogger("shetu")


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
                ix.drain_outbox()
            except SearchUnavailableError as exc:
                # Serve anyway: searches answer 503 and the outbox is drained once search is back.
                log.warning("search unavailable at start-up: %s", exc)
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

    @app.exception_handler(NotFoundError)
    async def _not_found(_r: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status.HTTP_404_NOT_FOUND)

    @app.exception_handler(ConflictError)
    async def _conflict(_r: Request, exc: ConflictError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status.HTTP_409_CONFLICT)

    @app.exception_handler(IntegrityError)
    async def _integrity(_r: Request, exc: IntegrityError) -> JSONResponse:
        return JSONResponse({"detail": "the change conflicts with stored records (a unique value "
                             "is taken or other records refer to this one): "
                             f"{str(exc.orig).splitlines()[0]}"}, status.HTTP_409_CONFLICT)

    @app.exception_handler(SearchUnavailableError)
    async def _unavailable(_r: Request, exc: SearchUnavailableError) -> JSONResponse:
        return JSONResponse({"detail": f"search is unavailable: {exc}"},
                            status.HTTP_503_SERVICE_UNAVAILABLE)

    @app.exception_handler(InvalidFilterError)
    async def _bad_filter(_r: Request, exc: InvalidFilterError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 422)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_r: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        fields = [".".join(str(p) for p in e["loc"] if p != "body") for e in errors]
        msg = "; ".join(f"{f}: {e['msg']}" for f, e in zip(fields, errors, strict=True))
        return JSONResponse({"detail": msg, "errors": jsonable_encoder(errors)},
                            422)

    @app.get("/health", tags=["ops"])
    def health() -> dict:
        """Liveness and readiness: database and search reachable."""
        db_ok = True
        try:
            with get_engine(settings.database_url).connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 — health reports, never raises
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
