"""The report as CSV: one file per table (UTF-8 with a byte-order mark, so Excel shows Chinese right).

Cells come partly from what users typed. A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@`
(and, in some, a tab or carriage return) as a formula, so such text cells are written with a leading
apostrophe (OWASP's rule against CSV injection); spreadsheets show the apostrophe-prefixed text as typed.
Numbers stay numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from bot.conversations.aggregate import Report, Table

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: Any) -> Any:
    """The cell as written: text that a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def _rows(rows: Iterable[Iterable[Any]]) -> list[list[Any]]:
    return [[neutralise(cell) for cell in row] for row in rows]


def write_table(table: Table, stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow([neutralise(c) for c in table.columns])
    writer.writerows(_rows(table.rows))


def write_dir(report: Report, directory: Path) -> list[Path]:
    """overview.csv and <table>.csv for every table; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    path = directory / "overview.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["Figure", "Value"])
        writer.writerows(_rows(report.overview))
    written.append(path)
    for table in report.tables:
        path = directory / f"{table.key}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            write_table(table, fh)
        written.append(path)
    return written
