"""HTTP hardening: security headers on every response, the sign-in throttle, cookie flags."""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.config import Settings
from registry.security import SignInThrottle

# The pages load one stylesheet (/static/shetu.css) and no script; inline SVG charts need
# nothing more. 'none' for frames, plugins and <base> closes clickjacking and injection routes.
PAGE_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# Swagger UI and ReDoc are served by the app (api.docs, from the fastapi-offline package) and
# started from files: scripts from this site only. ReDoc injects <style> elements and Swagger UI
# draws icons as data: images, so styles may be inline; nothing is loaded from another site.
DOCS_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "font-src 'self'; script-src 'self'; worker-src 'self' blob:; connect-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    # Responses carry personal data or a token: never stored by a browser or a proxy, so "Back"
    # after sign-out does not show the previous page. A response may set its own (the CSS does).
    "Cache-Control": "no-store",
}


def cookie_secure(settings: Settings) -> bool:
    """Return whether the sign-in cookie gets the ``Secure`` flag (HTTPS only)."""
    value = getattr(settings, "cookie_secure", None)
    return settings.env == "production" if value is None else bool(value)


class SecurityHeadersMiddleware:
    """Add the security headers to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp, *, docs_paths: tuple[str, ...], hsts: bool) -> None:
        self.app = app
        self.docs_paths = docs_paths
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        csp = DOCS_CSP if any(path == p or path.startswith(p + "/")
                              for p in self.docs_paths) else PAGE_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", csp)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security(app: FastAPI, settings: Settings) -> None:
    """Add the security-headers middleware and the app's sign-in throttle."""
    docs = tuple(p for p in (app.docs_url, app.redoc_url) if p) or ("/docs", "/redoc")
    app.add_middleware(SecurityHeadersMiddleware, docs_paths=docs, hsts=cookie_secure(settings))
    app.state.signin_throttle = SignInThrottle()


def signin_throttle(request: Request) -> SignInThrottle:
    """Return the app's sign-in throttle (one per app, shared by the API and the web form)."""
    return request.app.state.signin_throttle


def client_address(request: Request) -> str:
    """Return the client's address as the server sees it (behind a proxy: its forwarded one)."""
    return request.client.host if request.client else "unknown"
