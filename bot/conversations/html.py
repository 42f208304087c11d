"""The report as one self-contained HTML page for managers: figures, charts (inline SVG) and tables.

No scripts, no external files: the page can be mailed or opened offline. Every text from users or the
database is escaped.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from bot.conversations import charts
from bot.conversations.aggregate import Report, Table

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", sans-serif;
       margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1d2733; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2.2rem; }
.sub { color: #5a6777; margin-top: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(13rem, 1fr)); gap: .8rem; }
.card { border: 1px solid #d5dde6; border-radius: .5rem; padding: .7rem .9rem; background: #f7f9fb; }
.card .v { font-size: 1.25rem; font-weight: 600; } .card .k { color: #5a6777; font-size: .9rem; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; margin-top: .5rem; }
th, td { border-bottom: 1px solid #e1e6ec; padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #eef2f6; position: sticky; top: 0; } td.n { text-align: right; white-space: nowrap; }
.note { color: #5a6777; margin: .2rem 0; } figure { margin: 1rem 0; } figcaption { color: #5a6777; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(28rem, 1fr)); gap: 1rem; }
svg { max-width: 100%; height: auto; }
svg text { font-family: system-ui, "Noto Sans", "Noto Sans CJK SC", sans-serif !important; }
@media print { th { position: static; } }
"""


def _cell(value: object) -> str:
    if isinstance(value, int | float):
        return f'<td class="n">{escape(str(value))}</td>'
    return f'<td dir="auto">{"<br>".join(escape(line) for line in str(value).split(chr(10)))}</td>'


def table_html(table: Table) -> str:
    parts = [f'<section id="{escape(table.key)}"><h2>{escape(table.title)}</h2>']
    if table.note:
        parts.append(f'<p class="note">{escape(table.note)}</p>')
    if not table.rows:
        parts.append("<p>None in this period.</p></section>")
        return "".join(parts)
    parts.append(
        "<table><thead><tr>"
        + "".join(f'<th scope="col">{escape(c)}</th>' for c in table.columns)
        + "</tr></thead><tbody>"
    )
    parts += ["<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in table.rows]
    parts.append("</tbody></table></section>")
    return "".join(parts)


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


def _charts(report: Report) -> str:
    figures = []
    if report.daily:
        figures.append(
            _figure(
                charts.daily(
                    [f"{d:%a %m-%d}" for d, *_ in report.daily],
                    [m for _, _, m, _ in report.daily],
                    [u for *_, u in report.daily],
                ),
                "Messages typed and questions not answered, per day (Beijing time)",
            )
        )
    unanswered = report.table("unanswered").rows[:10]
    if unanswered:
        labels = [f"{row[1] if row[1] != '—' else row[0][:40]}" for row in unanswered]
        figures.append(
            _figure(
                charts.bars(labels, [row[2] for row in unanswered], charts.ORANGE),
                "Questions not answered, by the assistant's best guess",
            )
        )
    intents = report.table("intents").rows[:10]
    if intents:
        figures.append(
            _figure(
                charts.bars([r[0] for r in intents], [r[1] for r in intents]),
                "What users asked about most",
            )
        )
    languages = report.table("languages").rows
    if languages:
        figures.append(
            _figure(
                charts.bars([r[0] for r in languages], [r[3] for r in languages]),
                "Messages by language",
            )
        )
    rated = report.table("ratings").rows
    if rated:
        labels = [f"{r[0]}: {r[1]}" if r[1] != "—" else r[0] for r in rated[:10]]
        figures.append(
            _figure(
                charts.ratings(labels, [r[2] for r in rated[:10]], [r[3] for r in rated[:10]]),
                "How users rated the answers (green: helpful, red: not helpful)",
            )
        )
    return '<div class="charts">' + "".join(figures) + "</div>" if figures else ""


def render(report: Report, source: str, generated: dt.datetime | None = None) -> str:
    generated = generated or dt.datetime.now(dt.timezone.utc)
    cards = "".join(
        f'<div class="card"><div class="v">{escape(value)}</div><div class="k">{escape(label)}</div></div>'
        for label, value in report.overview[1:]
    )
    contents = " · ".join(
        f'<a href="#{escape(t.key)}">{escape(t.title)}</a>' for t in report.tables
    )
    body = "".join(table_html(t) for t in report.tables)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Beijing assistant: conversations report, {escape(report.period.label())}</title>
<style>{STYLE}</style></head>
<body>
<h1>Conversations report</h1>
<p class="sub">{escape(report.period.label())} · conversation store {escape(source)} · made {escape(generated.strftime("%Y-%m-%d %H:%M UTC"))}.
Personal data users typed (phone numbers, e-mail addresses, ID numbers, names) is removed from every example.</p>
<div class="cards">{cards}</div>
{_charts(report)}
<p class="note">{contents}</p>
{body}
</body></html>
"""
