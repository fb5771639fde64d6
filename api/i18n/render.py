"""Render a page in the request's language, and show errors on page paths as pages.

Templates use Jinja2's i18n extension (``{% trans %}``, ``_()``) with the request's catalog, and
the filters and helpers below for numbers, money, dates and names, so a template never formats a
number or picks a name's language itself.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from api.i18n import format as fmt
from api.i18n import names
from api.i18n.locale import COOKIE, LANGUAGES, choose_language, requested_language, translations
from api.i18n.problems import FormProblem

log = logging.getLogger("shetu")
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LANGUAGE_NAMES = {"bn": "বাংলা", "en": "English"}
COOKIE_DAYS = 365
# Paths that answer JSON or files; every other path is a page, and its errors are pages.
NOT_PAGES = ("/api/", "/docs", "/redoc", "/openapi.json", "/health", "/metrics", "/static/")


@jinja2.pass_context
def _gettext(ctx: jinja2.runtime.Context, message: str) -> str:
    return translations(ctx.get("lang", "en")).gettext(message)


@jinja2.pass_context
def _ngettext(ctx: jinja2.runtime.Context, singular: str, plural: str, n: int) -> str:
    return translations(ctx.get("lang", "en")).ngettext(singular, plural, n)


def _span(text: Any, text_lang: str, page_lang: str) -> Markup:
    """Return ``text``, wrapped in a span naming its language where it differs from the page's."""
    if text_lang == page_lang:
        return escape(text)
    return Markup('<span lang="{}">{}</span>').format(text_lang, text)


def _named(lookup):  # type: ignore[no-untyped-def]
    @jinja2.pass_context
    def helper(ctx: jinja2.runtime.Context, value: str) -> Markup:
        lang = ctx.get("lang", "en")
        text, text_lang = lookup(value or "", lang)
        return _span(text, text_lang, lang)
    return helper


def _localised(table: dict[str, str]):  # type: ignore[no-untyped-def]
    @jinja2.pass_context
    def helper(ctx: jinja2.runtime.Context, code: str) -> str:
        message = table.get(code)
        return translations(ctx.get("lang", "en")).gettext(message) if message else code
    return helper


def _with_lang(func):  # type: ignore[no-untyped-def]
    @jinja2.pass_context
    def helper(ctx: jinja2.runtime.Context, *args: Any) -> str:
        return func(*args, ctx.get("lang", "en"))
    return helper


@jinja2.pass_context
def _job_title(ctx: jinja2.runtime.Context, title: str, occupation_label: str | None) -> Markup:
    lang = ctx.get("lang", "en")
    text, text_lang = names.job_title(title, occupation_label, lang)
    return _span(text, text_lang, lang)


@jinja2.pass_context
def _reason(ctx: jinja2.runtime.Context, item: dict) -> Markup:
    """An eligibility failure's reason: Bangla (localised) on a Bangla page, else English."""
    lang = ctx.get("lang", "en")
    if lang == "bn" and item.get("what_bn"):
        return escape(names.bangla_reason(item["what_bn"]))
    return _span(item.get("what", ""), "en", lang)


@jinja2.pass_context
def _asset(ctx: jinja2.runtime.Context, name: str) -> str:
    """The content-hashed URL of a static file (``api.assets``), cached by browsers for a year."""
    from api.assets import assets_for

    return assets_for(ctx["request"].app.state.settings.cache_dir).url(name)


@jinja2.pass_context
def _why(ctx: jinja2.runtime.Context, reason: Any) -> Markup:
    """Why a job order is not matchable (a ``registry.compliance.Reason``), in the page's
    language; a reason with no catalog message keeps its English text, marked as English."""
    lang = ctx.get("lang", "en")
    message = names.NOT_MATCHABLE.get(reason.code)
    if message is None:
        return _span(reason.text, "en", lang)
    tr = translations(lang)
    status = names.STATUSES.get(reason.status or "")
    return escape(tr.gettext(message) % {
        "date": fmt.date(reason.date, lang) if reason.date else "",
        "status": tr.gettext(status) if status else (reason.status or "")})


@jinja2.pass_context
def _problem(ctx: jinja2.runtime.Context, error: Any) -> Markup:
    """What is wrong with a form, in the page's language where Shetu can say it
    (``api.i18n.problems``): the field's label, then what to do; otherwise English, marked."""
    lang = ctx.get("lang", "en")
    if not isinstance(error, FormProblem) or error.label is None:
        return _span(str(error), "en", lang)
    t = translations(lang)
    if error.instruction is None:  # a rule's own sentence: keep its English
        return Markup("{}: {}").format(t.gettext(error.label), _span(error.message, "en", lang))
    limit = fmt.number(error.limit, lang) if error.limit is not None else ""
    return Markup("{}: {}").format(t.gettext(error.label),
                                   t.gettext(error.instruction) % {"limit": limit})


def change_lines(detail: str | None) -> list[str]:
    """An audit-trail row's detail as lines a person reads: ``field: before → after`` for an
    update's changed fields, ``field: value`` otherwise for the fields that have a value (the
    stored JSON, never interpreted beyond that, flags as yes/no; a detail that is not a JSON
    object is shown as it is)."""
    try:
        data = json.loads(detail or "{}")
    except ValueError:
        return [detail or ""]
    if not isinstance(data, dict):
        return [str(data)]

    def show(v: Any) -> str:
        if isinstance(v, bool):
            return "yes" if v else "no"
        return "—" if v in (None, "", []) else (", ".join(map(str, v)) if isinstance(v, list)
                                                 else str(v))

    out = []
    for k, v in data.items():
        if isinstance(v, list) and len(v) == 2 and not any(isinstance(x, dict) for x in v):
            out.append(f"{k.replace('_', ' ')}: {show(v[0])} → {show(v[1])}")
        elif v not in (None, "", []):  # a new record's fields: only those it was given
            out.append(f"{k.replace('_', ' ')}: {show(v)}")
    return out


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update({"num": _with_lang(fmt.number), "taka": _with_lang(fmt.taka),
                        "date": _with_lang(fmt.date), "as_written": _with_lang(fmt.as_written),
                        "change_lines": change_lines})
    env.globals.update({
        "money": _with_lang(fmt.money), "country": _named(names.country),
        "occupation": _named(names.occupation), "skill": _named(names.skill),
        "job_title": _job_title, "asset": _asset,
        "status": _localised(names.STATUSES), "role_name": _localised(names.ROLES),
        "rule": _localised(names.RULES), "fix": _localised(names.FIXES), "reason": _reason,
        "why": _why, "problem": _problem,
        "in_lang": jinja2.pass_context(lambda ctx, text, text_lang: _span(
            text, text_lang, ctx.get("lang", "en"))),
    })
    return env


templates = Jinja2Templates(env=_environment())


def _switch(request: Request, lang: str) -> list[dict[str, Any]]:
    """The language switch: a link per language to this page (the home page after a form)."""
    path = request.url.path if request.method == "GET" else "/"
    return [{"lang": code, "name": LANGUAGE_NAMES[code], "href": f"{path}?lang={code}",
             "current": code == lang} for code in LANGUAGES]


def render(request: Request, name: str, context: dict[str, Any] | None = None, *,
           user: Any = None, status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render template ``name`` in the request's language; remember a language chosen by link."""
    lang = choose_language(request, getattr(user, "role", None))
    ctx = {"user": user, "lang": lang, "switch": _switch(request, lang), "today": dt.date.today(),
           **(context or {})}
    resp = templates.TemplateResponse(request, name, ctx, status_code=status_code,
                                      headers=headers)
    resp.headers["Content-Language"] = lang
    if requested_language(request):
        from api.security import cookie_secure  # the app's rule for the Secure flag

        resp.set_cookie(COOKIE, lang, max_age=COOKIE_DAYS * 86400, httponly=True,
                        samesite="lax", secure=cookie_secure(request.app.state.settings))
    return resp


def is_page(path: str) -> bool:
    """Return whether ``path`` is a web page (its errors are pages) rather than API or file."""
    return not path.startswith(NOT_PAGES)


def error_page(request: Request, status_code: int,
               headers: dict[str, str] | None = None) -> Response:
    """Return the page for an error status, in the request's language (sign-in page for 401)."""
    keep = {k: v for k, v in (headers or {}).items() if k.lower() == "retry-after"}
    try:
        if status_code == 401 and request.method == "GET":
            return sign_in_redirect(request)
        if status_code == 401:
            settings = request.app.state.settings
            return render(request, "login.html", {"demo": settings.demo_accounts,
                                                  "error": "signed_out"},
                          status_code=401, headers=keep)
        return render(request, "error.html", {"code": status_code}, status_code=status_code,
                      headers=keep)
    except Exception:  # noqa: BLE001 — an error page must never raise; the status still stands
        log.exception("could not render the error page for %s", status_code)
        return PlainTextResponse(f"Error {status_code}", status_code)


def sign_in_redirect(request: Request) -> Response:
    """Send a signed-out reader of a page to sign in, and back to the page afterwards.

    With a sign-in cookie that no longer works the page says the session has expired.
    """
    from api.auth import COOKIE_NAME

    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    query = {"next": here} if len(here) <= 500 else {}
    if request.cookies.get(COOKIE_NAME):
        query["expired"] = "1"
    lang = requested_language(request)
    if lang:
        query["lang"] = lang
    return RedirectResponse("/login" + (f"?{urlencode(query)}" if query else ""), 303)


def install_page_errors(app: FastAPI) -> None:
    """Make every error on a page path a page in its language; API paths keep their JSON.

    Call after the JSON error handlers are installed: each is wrapped, not replaced.
    """
    for exc_type, handler in list(app.exception_handlers.items()):
        app.add_exception_handler(exc_type, _page_or(handler))

    async def crash(request: Request, _exc: Exception) -> Response:
        # The server error middleware logs and re-raises the exception after this answer.
        if is_page(request.url.path):
            return error_page(request, 500)
        return PlainTextResponse("Internal Server Error", 500)

    app.add_exception_handler(Exception, crash)


def _page_or(handler):  # type: ignore[no-untyped-def]
    async def handle(request: Request, exc: Exception) -> Response:
        resp = handler(request, exc)
        if hasattr(resp, "__await__"):
            resp = await resp
        if not is_page(request.url.path) or resp.status_code < 400:
            return resp
        return error_page(request, resp.status_code, dict(resp.headers))
    return handle
