"""What every page module shares: the signed-in user (or a page-level 401/403), static assets."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from api.assets import assets_for
from api.deps import CurrentUser, current_user

router = APIRouter(include_in_schema=False)


def user_or_none(request: Request, settings, session) -> CurrentUser | None:  # type: ignore[no-untyped-def]
    """The signed-in user of a page request, or None."""
    try:
        return current_user(request, settings, session, None)
    except HTTPException:
        return None


def need(request: Request, settings, session, *roles: str) -> CurrentUser:  # type: ignore[no-untyped-def]
    """The signed-in user if their role may see the page; else a 401 or 403 page."""
    user = user_or_none(request, settings, session)
    if user is None:
        raise HTTPException(401, "sign in first")
    if user.role not in roles:
        raise HTTPException(403, f"role {user.role!r} may not see this page")
    return user


def _serve(request: Request, path: str) -> Response:
    found = assets_for(request.app.state.settings.cache_dir).lookup(path)
    if found is None:
        raise HTTPException(404, f"no static file {path!r}")
    asset, cache = found  # text is gzipped on the way out (api.app's GZipMiddleware)
    return Response(asset.body, media_type=asset.media_type, headers={"Cache-Control": cache})


@router.get("/static/{asset}")
def static_file(asset: str, request: Request) -> Response:
    """A stylesheet or script of the pages (a file, so that the CSP allows no inline style or
    script); at its hashed name (``shetu.<hash>.css``, what pages link) cached for a year."""
    return _serve(request, asset)


@router.get("/static/fonts/{font}")
def font_file(font: str, request: Request) -> Response:
    """The Bengali font (Hind Siliguri cut to the Bengali block, WOFF2) and its licence,
    ``OFL.txt`` (SIL Open Font License 1.1)."""
    return _serve(request, f"fonts/{font}")
