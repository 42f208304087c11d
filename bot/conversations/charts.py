"""Charts for the HTML report, as inline SVG drawn by matplotlib.

Text stays text in the SVG (`svg.fonttype: none`), so the browser draws it with its own fonts (Chinese
too) and screen readers and search can read it; the page needs no image files.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

UP_COLOUR, DOWN_COLOUR, BLUE, ORANGE = "#2e7d32", "#c62828", "#1f6fb2", "#e07b00"


def _pyplot() -> Any:  # matplotlib.pyplot (untyped)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "svg.fonttype": "none",
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "beijing-assistant",
        }
    )
    return plt


def _svg(fig: Any) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    _pyplot().close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]  # no XML prologue or DOCTYPE inside HTML
    return re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)


def daily(days: Sequence[str], messages: Sequence[int], unanswered: Sequence[int]) -> str:
    """Messages typed and questions not answered, per day."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(5.0, 0.7 * len(days) + 2), 2.8))
    xs = range(len(days))
    ax.bar([x - 0.2 for x in xs], messages, width=0.4, color=BLUE, label="messages typed")
    ax.bar([x + 0.2 for x in xs], unanswered, width=0.4, color=ORANGE, label="not answered")
    step = max(1, len(days) // 14)
    ax.set_xticks(
        list(xs)[::step],
        list(days)[::step],
        rotation=0 if len(days) <= 7 else 45,
        ha="center" if len(days) <= 7 else "right",
    )
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(frameon=False, ncol=2, loc="upper left", bbox_to_anchor=(0, 1.18))
    return _svg(fig)


def bars(labels: Sequence[str], values: Sequence[int], colour: str = BLUE) -> str:
    """Horizontal bars, largest at the top."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 0.32 * len(labels) + 0.8))
    ys = list(range(len(labels)))[::-1]
    ax.barh(ys, values, color=colour)
    ax.set_yticks(ys, labels)
    ax.xaxis.get_major_locator().set_params(integer=True)
    for y, v in zip(ys, values, strict=True):
        ax.text(v, y, f" {v}", va="center")
    return _svg(fig)


def ratings(labels: Sequence[str], ups: Sequence[int], downs: Sequence[int]) -> str:
    """Helpful / not helpful per answer, stacked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 0.38 * len(labels) + 1.0))
    ys = list(range(len(labels)))[::-1]
    ax.barh(ys, ups, color=UP_COLOUR, label="helpful")
    ax.barh(ys, downs, left=ups, color=DOWN_COLOUR, label="not helpful")
    ax.set_yticks(ys, labels)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(
        frameon=False, ncol=2, loc="upper left", bbox_to_anchor=(0, 1.0 + 0.9 / (len(labels) + 2))
    )
    return _svg(fig)
