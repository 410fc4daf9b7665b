"""Charts drawn as inline SVG on the server: no script, no image request, nothing a
Content-Security-Policy has to allow, and crisp at any zoom. (matplotlib, which draws the PDF
report's chart, takes a tenth of a second per figure, more than a whole warm dashboard.)

Every bar carries a <title> with its exact amount and currency, which browsers show on hover and
screen readers read.
"""

from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup, escape

from dashboards.results import ChartPanel

SERIES_COLOURS = ("#4c9f70", "#f2c14e", "#f78154", "#d1495b", "#7a1c3b", "#3b0d1f")
"""The aging buckets' colours, from current (green) to the oldest (dark red)."""
WIDTH = 560
LABEL_WIDTH = 120
ROW_HEIGHT = 22
VALUE_WIDTH = 90
COLUMN_CHART_HEIGHT = 170


def money_text(amount: Decimal, currency: str) -> str:
    return f"{currency} {amount:,.2f}"


def short_amount(amount: Decimal) -> str:
    """12,345.67 -> "12.3k": a bar's label; the exact amount is in its title."""
    value = float(amount)
    for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}{suffix}"
    return f"{value:,.0f}"


def colour(index: int, series_count: int) -> str:
    return SERIES_COLOURS[index % len(SERIES_COLOURS)] if series_count > 1 else "#3d6fb4"


def horizontal_bars(panel: ChartPanel, series: tuple[str, ...]) -> Markup:
    """One stacked bar per category (label left, total right), longest first as given."""
    totals = [sum(values, Decimal(0)) for values in panel.values]
    largest = max([*totals, Decimal(1)])
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = ROW_HEIGHT * len(panel.categories) + 4
    parts = [
        f'<svg class="dashboard-chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(panel.currency)} amounts by {len(panel.categories)} rows">'
    ]
    for row, (category, values, total) in enumerate(
        zip(panel.categories, panel.values, totals, strict=True)
    ):
        y = row * ROW_HEIGHT + 2
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{escape(category)}</text>"
        )
        x = float(LABEL_WIDTH)
        for index, (name, amount) in enumerate(zip(series, values, strict=True)):
            if amount <= 0:
                continue
            width = float(amount / largest) * span
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{max(width, 1):.1f}" '
                f'height="{ROW_HEIGHT - 6}" '
                f'fill="{colour(index, len(series))}"><title>{escape(category)}, {escape(name)}: '
                f"{escape(money_text(amount, panel.currency))}</title></rect>"
            )
            x += width
        parts.append(
            f'<text x="{x + 4:.1f}" y="{y + 15}" font-size="11" fill="#555">'
            f"{escape(short_amount(total))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def column_bars(panel: ChartPanel, series: tuple[str, ...]) -> Markup:
    """One column per category (months, oldest first), its amount above it."""
    totals = [sum(values, Decimal(0)) for values in panel.values]
    largest = max([*totals, Decimal(1)])
    count = max(len(panel.categories), 1)
    slot = (WIDTH - 20) / count
    plot_height = COLUMN_CHART_HEIGHT - 40
    parts = [
        f'<svg class="dashboard-chart" viewBox="0 0 {WIDTH} {COLUMN_CHART_HEIGHT}" width="100%" '
        f'role="img" aria-label="{escape(panel.currency)} amounts over {count} periods">',
        f'<line x1="10" x2="{WIDTH - 10}" y1="{plot_height + 16}" y2="{plot_height + 16}" '
        'stroke="#bbb"/>',
    ]
    for column, (category, total) in enumerate(zip(panel.categories, totals, strict=True)):
        x = 10 + column * slot
        height = float(total / largest) * plot_height if total > 0 else 0
        top = plot_height + 16 - height
        label = f"{category}: {money_text(total, panel.currency)}"
        parts.append(
            f'<rect x="{x + slot * 0.2:.1f}" y="{top:.1f}" width="{slot * 0.6:.1f}" '
            f'height="{max(height, 0.5):.1f}" fill="{colour(0, len(series))}">'
            f"<title>{escape(label)}</title></rect>"
            f'<text x="{x + slot / 2:.1f}" y="{top - 4:.1f}" text-anchor="middle" font-size="11" '
            f'fill="#555">{escape(short_amount(total))}</text>'
            f'<text x="{x + slot / 2:.1f}" y="{COLUMN_CHART_HEIGHT - 6}" text-anchor="middle" '
            f'font-size="11">{escape(category)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def legend(series: tuple[str, ...]) -> Markup:
    """The series' colours and names, for a chart with more than one series."""
    if len(series) < 2:
        return Markup("")
    swatches = (
        f'<span class="mr-2 text-nowrap"><span style="display:inline-block;width:10px;height:10px;'
        f'background:{colour(index, len(series))}"></span> {escape(name)}</span>'
        for index, name in enumerate(series)
    )
    return Markup(f'<div class="small mb-1">{"".join(swatches)}</div>')


def chart_svg(panel: ChartPanel, series: tuple[str, ...], horizontal: bool) -> Markup:
    return horizontal_bars(panel, series) if horizontal else column_bars(panel, series)
