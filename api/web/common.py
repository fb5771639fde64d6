"""What every page module shares: the signed-in user (or a page-level 401/403), static assets."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse

from api.deps import CurrentUser, current_user

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).resolve().parent.parent / "static"
# The Bengali face (Hind Siliguri, OFL-1.1) comes from its PyPI package, fontpkg-hind-siliguri:
# served by the app so no page shows boxes where a machine has no Bengali font, and no request
# leaves the site (CSP font-src 'self').
FONTS = ("HindSiliguri-Regular.ttf", "HindSiliguri-SemiBold.ttf")


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


@router.get("/static/shetu.css")
def stylesheet() -> FileResponse:
    """The pages' stylesheet (a file, so that the CSP allows no inline style)."""
    return FileResponse(STATIC / "shetu.css", media_type="text/css",
                        headers={"Cache-Control": "public, max-age=3600"})


def _font_route(name: str) -> None:
    def font() -> FileResponse:
        from fontpkg_hind_siliguri import ROOT

        return FileResponse(ROOT / "files" / name, media_type="font/ttf",
                            headers={"Cache-Control": "public, max-age=604800"})

    font.__doc__ = f"The Bengali font file {name} (Hind Siliguri, SIL Open Font License 1.1)."
    router.add_api_route(f"/static/fonts/{name}", font, methods=["GET"], name=f"font-{name}")


for _name in FONTS:
    _font_route(_name)


