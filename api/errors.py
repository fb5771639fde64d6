"""Domain errors → HTTP statuses (one table), a 422 that never fails, and a body-size limit.

Services raise domain errors (``registry.service``, ``indexer.protocol`` …); only ``api/`` knows
HTTP. Every error answer is ``{"detail": "<what is wrong, naming the field>"}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from indexer.protocol import (
    InvalidDocumentError,
    InvalidFilterError,
    InvalidQueryError,
    SearchUnavailableError,
    UnknownIndexError,
)
from matcher.rankers import RankerNotReadyError
from registry.idempotency import IdempotencyMismatchError
from registry.security import SignInBusyError, SignInThrottledError, WrongCredentialsError
from registry.service import (
    ConflictError,
    ForbiddenError,
    InvalidRecordError,
    NotFoundError,
    PreconditionFailedError,
)

# The one table of domain error → (status, extra headers); the most specific class listed wins.
# An error with a ``retry_after`` attribute sends it as Retry-After instead of the default here.
STATUS: dict[type[Exception], tuple[int, dict[str, str]]] = {
    NotFoundError: (status.HTTP_404_NOT_FOUND, {}),
    ForbiddenError: (status.HTTP_403_FORBIDDEN, {}),
    ConflictError: (status.HTTP_409_CONFLICT, {}),
    PreconditionFailedError: (status.HTTP_412_PRECONDITION_FAILED, {}),
    IdempotencyMismatchError: (status.HTTP_422_UNPROCESSABLE_CONTENT, {}),
    InvalidRecordError: (status.HTTP_422_UNPROCESSABLE_CONTENT, {}),
    InvalidQueryError: (status.HTTP_422_UNPROCESSABLE_CONTENT, {}),
    InvalidFilterError: (status.HTTP_422_UNPROCESSABLE_CONTENT, {}),
    InvalidDocumentError: (status.HTTP_422_UNPROCESSABLE_CONTENT, {}),
    WrongCredentialsError: (status.HTTP_401_UNAUTHORIZED, {"WWW-Authenticate": "Bearer"}),
    SignInThrottledError: (status.HTTP_429_TOO_MANY_REQUESTS, {}),
    SignInBusyError: (status.HTTP_503_SERVICE_UNAVAILABLE, {}),
    SearchUnavailableError: (status.HTTP_503_SERVICE_UNAVAILABLE, {"Retry-After": "5"}),
    # The index is missing (never built, or dropped): no retry helps until it is rebuilt.
    UnknownIndexError: (status.HTTP_503_SERVICE_UNAVAILABLE, {}),
    RankerNotReadyError: (status.HTTP_503_SERVICE_UNAVAILABLE, {"Retry-After": "30"}),
}
MAX_SHOWN = 200  # characters of any user-supplied text echoed in an error


def _text(value: Any) -> str:
    """Return printable, valid UTF-8 text of at most MAX_SHOWN characters."""
    s = str(value)
    s = s.encode("utf-8", "replace").decode("utf-8")
    return s if len(s) <= MAX_SHOWN else s[:MAX_SHOWN] + "…"


def validation_detail(errors: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Return the message and the cleaned errors of a validation failure (no input echoed)."""
    out = []
    for e in errors[:20]:
        loc = [_text(p) for p in e.get("loc", ()) if p != "body"]
        out.append({"loc": loc, "msg": _text(e.get("msg", "")), "type": _text(e.get("type", ""))})
    msg = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in out)
    if len(errors) > 20:
        msg += f"; and {len(errors) - 20} more"
    return msg, out


def status_of(exc: Exception) -> tuple[int, dict[str, str]]:
    """Return the HTTP status and headers of a domain error (its most specific table entry)."""
    code, headers = next(STATUS[k] for k in type(exc).__mro__ if k in STATUS)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers = {**headers, "Retry-After": str(retry_after)}
    return code, headers


def install_error_handlers(app: FastAPI) -> None:
    """Register the error table and the validation handler on ``app``."""

    async def domain(_r: Request, exc: Exception) -> JSONResponse:
        code, headers = status_of(exc)
        detail = str(exc)
        if isinstance(exc, SearchUnavailableError):
            detail = f"search is unavailable: {exc}"
        elif isinstance(exc, UnknownIndexError):
            detail = (f"the search index is missing ({exc}); an administrator must rebuild it: "
                      "run `shetu reindex`")
        elif isinstance(exc, InvalidDocumentError):
            detail = f"the search index cannot hold this record: {exc}"
        elif isinstance(exc, InvalidQueryError):
            detail = f"the search query is not valid: {exc}"
        return JSONResponse({"detail": _text(detail) if len(detail) > 2000 else detail},
                            code, headers=headers)

    for exc_type in STATUS:
        app.add_exception_handler(exc_type, domain)

    async def stale(_r: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": "the record changed concurrently; retry the request"},
                            status.HTTP_409_CONFLICT)

    app.add_exception_handler(StaleDataError, stale)

    async def integrity(_r: Request, exc: Exception) -> JSONResponse:
        orig = getattr(exc, "orig", exc)
        return JSONResponse({"detail": "the change conflicts with stored records (a unique value "
                             "is taken or other records refer to this one): "
                             f"{_text(str(orig).splitlines()[0] if str(orig) else orig)}"},
                            status.HTTP_409_CONFLICT)

    app.add_exception_handler(IntegrityError, integrity)

    async def invalid(_r: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        msg, errors = validation_detail(list(exc.errors()))
        return JSONResponse({"detail": msg, "errors": errors},
                            status.HTTP_422_UNPROCESSABLE_CONTENT)

    app.add_exception_handler(RequestValidationError, invalid)


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, max_bytes: int,
                 uploads: tuple[tuple[str, int], ...] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # (path suffix, limit): file uploads (a demand letter, a CSV) get their own, larger limit.
        self.uploads = uploads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = next((n for suffix, n in self.uploads if path.endswith(suffix)), self.max_bytes)
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_big = int(value) > limit
                except ValueError:
                    too_big = True
                if too_big:
                    await self._refuse(send)
                    return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = (b'{"detail":"request body too large: at most %d bytes"}' % self.max_bytes)
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(HTTPException):
    """The body passed the limit while being read (an HTTPException, so FastAPI's body parsing
    lets it through as a 413 rather than turning it into a 400)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(status.HTTP_413_CONTENT_TOO_LARGE,
                         f"request body too large: at most {max_bytes} bytes")


ERROR_SCHEMA = {
    "title": "Error", "type": "object", "required": ["detail"],
    "properties": {"detail": {"type": "string", "description": "what is wrong, naming the field"}},
}
VALIDATION_ERROR_SCHEMA = {
    "title": "HTTPValidationError", "type": "object", "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "every problem, '<field>: <message>; …'"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["loc", "msg", "type"],
            "properties": {"loc": {"type": "array", "items": {"type": "string"}},
                           "msg": {"type": "string"}, "type": {"type": "string"}}}},
    },
}


def install_openapi(app: FastAPI) -> None:
    """Make the spec describe the 422 answers as they are sent (``detail`` is a sentence)."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version,
                                 description=app.description, routes=app.routes)
            comps = schema.setdefault("components", {}).setdefault("schemas", {})
            comps["HTTPValidationError"] = VALIDATION_ERROR_SCHEMA
            comps.pop("ValidationError", None)
            comps["Error"] = ERROR_SCHEMA
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
