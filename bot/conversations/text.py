"""The report as text for a terminal or an e-mail: an overview, then one table per topic."""

from __future__ import annotations

import textwrap

from tabulate import tabulate

from bot.conversations.aggregate import Report, Table

# Columns of free text are wrapped at this many characters.
WRAP = {
    "Examples": 60,
    "Examples [confidence]": 60,
    "Question": 60,
    "Assistant's best guess": 30,
    "Answered as": 30,
}


def table_text(table: Table, top: int | None = None) -> str:
    lines = [table.title, "=" * len(table.title)]
    if table.note:
        lines.append(textwrap.fill(table.note, 100))
    if not table.rows:
        lines.append("(none in this period)")
        return "\n".join(lines)
    rows = table.rows if top is None else table.rows[:top]
    widths = [WRAP.get(c) for c in table.columns]
    # Lines between rows only where a cell may take several lines.
    fmt = "simple_grid" if any(widths) else "simple_outline"
    align = [
        "right" if all(isinstance(r[i], int | float) for r in rows) else "left"
        for i in range(len(table.columns))
    ]
    lines.append(
        tabulate(
            rows,
            headers=table.columns,
            tablefmt=fmt,
            maxcolwidths=widths,
            disable_numparse=True,
            colalign=align,
        )
    )
    if len(rows) < len(table.rows):
        lines.append(
            f"... and {len(table.rows) - len(rows)} more rows (all of them with --csv DIR or --html FILE)."
        )
    return "\n".join(lines)


def render(report: Report, source: str, top: int | None = 20, keys: list[str] | None = None) -> str:
    """The whole report (or only the tables named in `keys`)."""
    title = f"Conversations report: {report.period.label()}"
    parts = [title, "#" * len(title), f"Conversation store: {source}", ""]
    if keys is None:
        width = max(len(label) for label, _ in report.overview)
        parts += [f"  {label.ljust(width)}  {value}" for label, value in report.overview]
        parts.append("")
    for table in report.tables:
        if keys is None or table.key in keys:
            parts += [table_text(table, top), ""]
    return "\n".join(parts).rstrip() + "\n"
