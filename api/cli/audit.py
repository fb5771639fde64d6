"""``shetu audit report --out FILE.html [--agency ID]``: a self-contained HTML report of the
audit (agencies riskiest first with the score's parts; per agency its findings with evidence and
sources, charts inline as SVG). No script, no stylesheet or image from elsewhere: it opens
offline. PDF is not made: the well-kept HTML-to-PDF library (WeasyPrint) needs Pango and other
system libraries this project does not install; a browser's "Print to PDF" of the file works.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.context import settings

audit_app = typer.Typer(help="Ministry audit: findings, risk scores, reports.",
                        no_args_is_help=True)
TOP = 15  # agencies given a section of their own in a report for all agencies


def build_report(session: Any, data_dir: Path, today: dt.date,
                 agency_id: int | None = None, lang: str = "en") -> str:
    """Return the report's HTML in ``lang`` (one agency, or every agency with the riskiest in
    detail)."""
    from api import audit_charts, audit_views
    from api.i18n.render import templates
    from registry.audit_rules.overview import audit_agencies, audit_agency
    from registry.vocab import COMPLAINT_STATUSES

    rows = audit_agencies(session, data_dir, today)
    ids = [agency_id] if agency_id is not None else [r["agency_id"] for r in rows[:TOP]
                                                     if r["risk_score"] > 0]
    details = []
    for i in ids:
        d = audit_agency(session, data_dir, i, today)
        d["svg"] = {name: audit_charts.inline(audit_charts.chart(name, d["charts"],
                                                                 COMPLAINT_STATUSES))
                    for name in audit_charts.CHARTS}
        details.append(d)
    return templates.env.get_template("audit_report.html").render(
        lang=lang, today=today, rows=rows, details=details, statuses=COMPLAINT_STATUSES,
        catalogue=audit_views.catalogue(), one=agency_id is not None)


@audit_app.command("report")
def report(ctx: typer.Context,
           out: Annotated[Path, typer.Option("--out", help="the HTML file to write")],
           agency: Annotated[int | None, typer.Option("--agency", min=1,
                                                       help="one agency's id")] = None,
           lang: Annotated[str, typer.Option("--lang", help="bn or en")] = "en") -> None:
    """Write a self-contained HTML audit report (charts inline as SVG) for all agencies or one."""
    from registry.db import session_scope
    from registry.service import NotFoundError

    s = settings(ctx)
    if out.suffix.lower() not in (".html", ".htm"):
        typer.echo(f"error: --out: {out} must end in .html (PDF is not made; print the HTML)",
                   err=True)
        raise typer.Exit(2)
    if not out.parent.is_dir():
        typer.echo(f"error: --out: folder {out.parent} does not exist", err=True)
        raise typer.Exit(2)
    if lang not in ("bn", "en"):
        typer.echo(f"error: --lang: {lang!r} is not bn or en", err=True)
        raise typer.Exit(2)
    with session_scope(s.database_url) as session:
        try:
            html = build_report(session, s.data_dir, dt.date.today(), agency, lang)
        except NotFoundError as exc:
            typer.echo(f"error: --agency: {exc}", err=True)
            raise typer.Exit(2) from exc
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)  # never a half-written report
    typer.echo(f"wrote {out} ({len(html):,} bytes)")
