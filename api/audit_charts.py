"""The agency page's charts as SVG, drawn by matplotlib (PSF-based licence, PyPI ``matplotlib``)
on the server: no script and no request leaves the site, so the strict CSP holds; the report
inlines the same SVG.

Charts carry only numbers and English-only values (destinations, months, codes): glyphs are drawn
as paths with matplotlib's own font, so they look the same everywhere; the captions and legends
around them are the page's (translated) text. Each chart is 4.2 in wide (403 px): at 360 px it
shrinks by a tenth, and its 11 pt labels stay readable.
"""

from __future__ import annotations

import io
import re
from typing import Any

CHARTS = ("fees", "placements", "complaints", "selection")
WIDTH_IN = 4.2
BAR = "#0b5d4b"
CEILING = "#b3261e"
SECOND = "#8fb9ad"


def _figure(rows: int):  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, max(1.6, 0.42 * rows + 0.9)), dpi=96)
    fig.set_layout_engine("constrained")
    ax = fig.add_subplot()
    ax.tick_params(labelsize=11)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    # No date or tool-version metadata: the same data gives the same bytes.
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    return re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.S)


def inline(svg: str) -> str:
    """The SVG for inlining in HTML (the HTML parser knows SVG's namespaces: none declared)."""
    return re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg, count=2)


def _empty() -> str:
    fig, ax = _figure(1)
    ax.set_axis_off()
    ax.text(0.5, 0.5, "—", ha="center", va="center", fontsize=14)
    return _svg(fig)


def fees_chart(rows: list[dict[str, Any]]) -> str:
    """Median and highest fee reported per destination (bars), the ceiling (a red tick)."""
    if not rows:
        return _empty()
    fig, ax = _figure(len(rows))
    ys = list(range(len(rows)))
    ax.barh([y + 0.2 for y in ys], [r["max_bdt"] for r in rows], height=0.4, color=SECOND)
    ax.barh([y - 0.2 for y in ys], [r["median_bdt"] for r in rows], height=0.4, color=BAR)
    for y, r in zip(ys, rows, strict=True):
        if r["ceiling_bdt"]:
            ax.plot([r["ceiling_bdt"]] * 2, [y - 0.45, y + 0.45], color=CEILING, linewidth=3)
    ax.set_yticks(ys, [r["destination"][:18] for r in rows])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(_thousands())
    return _svg(fig)


def placements_chart(rows: list[dict[str, Any]]) -> str:
    """Workers deployed per month (the last 12 months with any)."""
    rows = rows[-12:]
    if not rows:
        return _empty()
    fig, ax = _figure(len(rows))
    ys = list(range(len(rows)))
    ax.barh(ys, [r["placements"] for r in rows], color=BAR)
    ax.set_yticks(ys, [r["month"] for r in rows])
    ax.invert_yaxis()
    ax.xaxis.get_major_locator().set_params(integer=True)
    return _svg(fig)


def complaints_chart(rows: list[dict[str, Any]], statuses: tuple[str, ...]) -> str:
    """Complaints per category, stacked by status (status order and colours as the legend's)."""
    if not rows:
        return _empty()
    cats = sorted({r["category"] for r in rows})
    fig, ax = _figure(len(cats))
    left = [0.0] * len(cats)
    for status, colour in zip(statuses, STATUS_COLOURS, strict=False):
        counts = [sum(r["count"] for r in rows if r["category"] == c and r["status"] == status)
                  for c in cats]
        ax.barh(range(len(cats)), counts, left=left, color=colour)
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.set_yticks(range(len(cats)), [c.replace("_", " ")[:18] for c in cats])
    ax.invert_yaxis()
    ax.xaxis.get_major_locator().set_params(integer=True)
    return _svg(fig)


STATUS_COLOURS = ("#b3261e", "#e0a100", "#0b7a3e", "#7a8290")


def selection_chart(rates: list[dict[str, Any]]) -> str:
    """Selection rate by gender (per cent): the agency, then each job order; the 4/5 line."""
    if not rates:
        return _empty()
    labels = [("A" if r["scope"] == "agency" else f"#{r['id']}") for r in rates][:10]
    rates = rates[:10]
    fig, ax = _figure(len(rates))
    ys = list(range(len(rates)))
    for offset, gender, colour in ((-0.2, "female", CEILING), (0.2, "male", BAR)):
        ax.barh([y + offset for y in ys], [100 * (r["rates"][gender] or 0) for r in rates],
                height=0.4, color=colour)
    ax.set_yticks(ys, labels)
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    return _svg(fig)


def _thousands():  # type: ignore[no-untyped-def]
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos: f"{x / 1000:,.0f}k")


def chart(name: str, charts: dict[str, Any], statuses: tuple[str, ...]) -> str:
    """Return one of ``CHARTS`` as SVG from ``audit_agency``'s chart series."""
    if name == "fees":
        return fees_chart(charts["fees_by_destination"])
    if name == "placements":
        return placements_chart(charts["placements_by_month"])
    if name == "complaints":
        return complaints_chart(charts["complaints"], statuses)
    if name == "selection":
        return selection_chart(charts["selection_rates"])
    raise ValueError(f"chart: unknown chart {name!r}")
