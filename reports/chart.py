"""The aging chart: the buckets of each row stacked in one bar, one panel per currency (PNG).

Amounts are drawn, never added here: bar heights come from the report frame's own columns.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display on a server

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from reports.aging import TOTAL  # noqa: E402
from reports.column_labels import column_label  # noqa: E402

BUCKET_COLOURS = ("#4c9f70", "#f2c14e", "#f78154", "#d1495b", "#7a1c3b", "#3b0d1f", "#1b0610")
MOST_BARS = 40


def aging_chart_png(frame: pd.DataFrame, label_column: str, buckets: list[str]) -> bytes:
    """A stacked bar per row of `frame` (TOTAL rows left out): the largest `MOST_BARS` rows of
    each currency, in one panel per currency."""
    rows = frame[frame[label_column] != TOTAL]
    currencies = sorted(rows["currency"].unique()) or ["(none)"]
    figure, axes = plt.subplots(
        len(currencies), 1, figsize=(10, 2.6 * len(currencies) + 0.6), squeeze=False
    )
    for axis, currency in zip(axes[:, 0], currencies, strict=True):
        shown = rows[rows["currency"] == currency]
        heights = shown[buckets].astype(float)
        largest = heights.sum(axis=1).nlargest(MOST_BARS).index
        shown, heights = shown.loc[largest], heights.loc[largest]
        bottom = pd.Series(0.0, index=heights.index)
        labels = shown[label_column].astype(str).str.split("@").str[0]
        for index, bucket in enumerate(buckets):
            colour = BUCKET_COLOURS[index % len(BUCKET_COLOURS)]
            axis.bar(
                labels, heights[bucket], bottom=bottom, color=colour, label=column_label(bucket)
            )
            bottom = bottom + heights[bucket]
        axis.set_title(currency, loc="left", fontsize=10)
        axis.tick_params(axis="x", labelrotation=60, labelsize=7)
        axis.tick_params(axis="y", labelsize=7)
        axis.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    axes[0, 0].legend(fontsize=7, ncols=len(buckets), loc="upper right")
    figure.tight_layout()
    image = io.BytesIO()
    figure.savefig(image, format="png", dpi=110)
    plt.close(figure)
    return image.getvalue()
