"""Shared output helpers for the command line: progress bars, problem lists, dates, database names."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import make_url

from bot.core import config


def progress(**kwargs: Any) -> Any:
    """A progress bar on stderr that appears only on a terminal and only for work longer than half a second."""
    from tqdm import tqdm

    return tqdm(file=sys.stderr, disable=None, leave=False, delay=0.5, dynamic_ncols=True, **kwargs)


def print_problems(problems: Iterable[Any]) -> None:
    problems = list(problems)
    files = {p.file for p in problems}
    print(f"Found {len(problems)} problem(s) in {len(files)} file(s):", file=sys.stderr)
    for p in problems:
        print(f"  ✗ {p}", file=sys.stderr)


def database_name(url: str | None) -> str:
    """The knowledge database as staff may see it (never with its password)."""
    return make_url(url or config.kb_database_url()).render_as_string(hide_password=True)


def beijing_time(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(config.TIMEZONE).strftime("%Y-%m-%d %H:%M")


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"
