"""Server-rendered SVG bar charts, readable without colour (pure: no Django import).

No chart service, no script and no style attribute (the Content-Security-Policy allows
neither): presentation attributes and `<pattern>` fills only. Each series has its own
pattern as well as its own colour (solid, hatched, dotted, cross-hatched, striped), every
bar segment carries a `<title>` with its figure, and the legend shows the patterns; the
page puts the same numbers in a table beside the chart.

Bars are horizontal: one row per category (a customer, a day, a month), either stacked
(the aging's buckets) or grouped (collected beside overdue).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

INK = "#1f2933"
GRID = "#c5ccd6"
# (colour, pattern) per series: the pattern tells them apart in grey or for a reader who
# cannot tell the colours apart; every colour is at least 3:1 against white.
LOOKS = (
    ("#1d4ed8", "solid"),
    ("#047857", "hatch"),
    ("#b45309", "dots"),
    ("#b91c1c", "cross"),
    ("#6d28d9", "stripes"),
    ("#0f766e", "grid"),
    ("#475569", "back-hatch"),
)

WIDTH = 800
LABEL_W = 230
TOTAL_W = 110
PLOT_W = WIDTH - LABEL_W - TOTAL_W - 10
ROW_H = 30
LEGEND_H = 34
PAD = 8


@dataclass(frozen=True)
class Bar:
    """One category: its label, a value per series (minor units, 0 or more), the same as
    text for people, and the text of its total."""

    label: str
    values: Sequence[int]
    texts: Sequence[str]
    total_text: str = ""


SHAPES = {
    "hatch": ('<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="{c}" stroke-width="2.5"/>'),
    "back-hatch": ('<path d="M-2,6 l4,4 M0,0 l8,8 M6,-2 l4,4" stroke="{c}" stroke-width="2.5"/>'),
    "dots": '<circle cx="2" cy="2" r="1.8" fill="{c}"/><circle cx="6" cy="6" r="1.8" fill="{c}"/>',
    "cross": '<path d="M0,0 l8,8 M8,0 l-8,8" stroke="{c}" stroke-width="1.8"/>',
    "stripes": '<path d="M0,2 h8 M0,6 h8" stroke="{c}" stroke-width="2"/>',
    "grid": '<path d="M2,0 v8 M6,0 v8 M0,2 h8 M0,6 h8" stroke="{c}" stroke-width="1.2"/>',
}


def _pattern(pid: str, colour: str, kind: str) -> str:
    """An 8x8 tile: the series' colour solid, or its shape in that colour on white."""
    if kind == "solid":
        body = f'<rect width="8" height="8" fill="{colour}"/>'
    else:
        body = '<rect width="8" height="8" fill="#ffffff"/>' + SHAPES[kind].format(c=colour)
    return (
        f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">{body}</pattern>'
    )


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    series: Sequence[str],
    bars: Sequence[Bar],
    stacked: bool = True,
) -> str:
    """The SVG markup of a horizontal bar chart of `bars` over `series`."""
    if not bars:
        return ""
    looks = [LOOKS[i % len(LOOKS)] for i in range(len(series))]
    ids = [f"{chart_id}-p{i}" for i in range(len(series))]
    slots = 1 if stacked else len(series)
    row_h = ROW_H if stacked else max(ROW_H, 14 * slots + 8)
    biggest = max((sum(b.values) if stacked else max(b.values, default=0)) for b in bars) or 1
    height = LEGEND_H + PAD + row_h * len(bars) + PAD
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="system-ui, sans-serif" '
        f'font-size="13">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        "<defs>",
        *(_pattern(pid, colour, kind) for pid, (colour, kind) in zip(ids, looks, strict=True)),
        "</defs>",
    ]
    # The legend: a swatch in each series' pattern, then its name.
    x = LABEL_W
    for pid, (colour, _), name in zip(ids, looks, series, strict=True):
        out.append(
            f'<rect x="{x}" y="8" width="18" height="14" fill="url(#{pid})" '
            f'stroke="{colour}" stroke-width="1.5"/>'
            f'<text x="{x + 24}" y="20" fill="{INK}">{escape(name)}</text>'
        )
        x += 34 + 7 * len(name)
    top = LEGEND_H + PAD
    out.append(
        f'<line x1="{LABEL_W}" y1="{top - 2}" x2="{LABEL_W}" '
        f'y2="{top + row_h * len(bars)}" stroke="{GRID}"/>'
    )
    for row, bar in enumerate(bars):
        y = top + row * row_h
        out.append(
            f'<text x="{LABEL_W - 8}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end" '
            f'fill="{INK}">{escape(_clip(bar.label))}</text>'
        )
        x = float(LABEL_W)
        end = x
        for i, (value, text) in enumerate(zip(bar.values, bar.texts, strict=True)):
            if value <= 0:
                continue
            w = max(PLOT_W * value / biggest, 1.5)
            colour = looks[i][0]
            if stacked:
                bx, by, bh = x, y + 5, row_h - 10
                x += w
            else:
                bx, by, bh = float(LABEL_W), y + 4 + 14 * i, 12
            end = max(end, bx + w)
            out.append(
                f'<rect x="{bx:.1f}" y="{by:.1f}" width="{w:.1f}" height="{bh}" '
                f'fill="url(#{ids[i]})" stroke="{colour}" stroke-width="1">'
                f"<title>{escape(f'{bar.label}, {series[i]}: {text}')}</title></rect>"
            )
        if bar.total_text:
            out.append(
                f'<text x="{end + 6:.1f}" y="{y + row_h / 2 + 4:.1f}" fill="{INK}">'
                f"{escape(bar.total_text)}</text>"
            )
    out.append("</svg>")
    return "".join(out)


def _clip(label: str, limit: int = 32) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
