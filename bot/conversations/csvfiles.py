"""The report as CSV: one file per table (UTF-8 with a byte-order mark, so Excel shows Chinese right)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TextIO

from bot.conversations.aggregate import Report, Table


def write_table(table: Table, stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows(table.rows)


def write_dir(report: Report, directory: Path) -> list[Path]:
    """overview.csv and <table>.csv for every table; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    path = directory / "overview.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["Figure", "Value"])
        writer.writerows(report.overview)
    written.append(path)
    for table in report.tables:
        path = directory / f"{table.key}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            write_table(table, fh)
        written.append(path)
    return written
