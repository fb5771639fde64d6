"""/docs (Swagger UI) and /redoc (ReDoc) with no internet: every asset served by the app.

The assets come from the PyPI package ``fastapi-offline`` (its ``static/`` folder ships
swagger-ui-bundle.js, swagger-ui.css and redoc.standalone.js); the pages start them from files
under /static/docs/, so the docs' CSP allows scripts from this site only (``api.security``).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse

STATIC = Path(__file__).resolve().parent / "static" / "docs"
ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
          "redoc.standalone.js": "text/javascript", "favicon.png": "image/png"}
OWN = {"swagger-init.js": "text/javascript", "oauth2-redirect.js": "text/javascript"}
CACHE = {"Cache-Control": "public, max-age=86400"}

SWAGGER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} – API</title>
<link rel="icon" href="/static/docs/favicon.png">
<link rel="stylesheet" href="/static/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/docs/swagger-ui-bundle.js"></script>
<script src="/static/docs/swagger-init.js"></script></body></html>
"""
REDOC = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} – API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/static/docs/favicon.png"></head>
<body><redoc spec-url="/openapi.json"></redoc>
<script src="/static/docs/redoc.standalone.js"></script></body></html>
"""
OAUTH2 = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Swagger UI: OAuth2 Redirect</title></head>
<body><script src="/static/docs/oauth2-redirect.js"></script></body></html>
"""


def _package_static() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"


def install_docs(app: FastAPI) -> None:
    """Serve /docs, /docs/oauth2-redirect, /redoc and their assets (create the app with
    ``docs_url=None, redoc_url=None``)."""
    title = app.title

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return HTMLResponse(SWAGGER.format(title=title))

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def oauth2_redirect() -> HTMLResponse:
        return HTMLResponse(OAUTH2)

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return HTMLResponse(REDOC.format(title=title))

    def asset_route(name: str, media: str, folder: Path | None) -> None:
        def asset() -> FileResponse:
            return FileResponse((folder or _package_static()) / name, media_type=media,
                                headers=CACHE)

        asset.__doc__ = f"The API docs' asset {name}."
        app.add_api_route(f"/static/docs/{name}", asset, methods=["GET"],
                          include_in_schema=False, name=f"docs-{name}")

    for name, media in ASSETS.items():
        asset_route(name, media, None)
    for name, media in OWN.items():
        asset_route(name, media, STATIC)
