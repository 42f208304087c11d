"""Report periods: whole days in Beijing time (Asia/Shanghai), as the staff who read the reports live them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.core.config import TIMEZONE


@dataclass(frozen=True)
class Period:
    """From the start of `first` to the end of `last` (both included), Beijing time."""

    first: dt.date
    last: dt.date

    @property
    def start(self) -> float:
        return dt.datetime.combine(self.first, dt.time(), TIMEZONE).timestamp()

    @property
    def end(self) -> float:
        """The first moment after the period (exclusive)."""
        return dt.datetime.combine(
            self.last + dt.timedelta(days=1), dt.time(), TIMEZONE
        ).timestamp()

    @property
    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def __contains__(self, timestamp: float) -> bool:
        return self.start <= timestamp < self.end

    def label(self) -> str:
        def day(d: dt.date) -> str:
            return f"{d:%a} {d.isoformat()}"

        if self.first == self.last:
            return f"{day(self.first)} (Beijing time)"
        return f"{day(self.first)} to {day(self.last)} (Beijing time)"


def today() -> dt.date:
    return dt.datetime.now(TIMEZONE).date()


def parse_day(value: str, *, now: dt.date | None = None) -> dt.date:
    """YYYY-MM-DD, or `today` / `yesterday`; ValueError with a readable message otherwise."""
    base = now or today()
    word = value.strip().lower()
    if word == "today":
        return base
    if word == "yesterday":
        return base - dt.timedelta(days=1)
    try:
        return dt.date.fromisoformat(word)
    except ValueError:
        raise ValueError(
            f"'{value}' is not a date; write it as YYYY-MM-DD, e.g. {base.isoformat()}"
        ) from None


def make_period(
    since: str | None, until: str | None, days: int = 7, *, now: dt.date | None = None
) -> Period:
    """The period the user asked for: --since/--until, else the last `days` days up to today."""
    base = now or today()
    last = parse_day(until, now=base) if until else base
    first = parse_day(since, now=base) if since else last - dt.timedelta(days=max(days, 1) - 1)
    if first > last:
        raise ValueError(f"the start {first.isoformat()} is after the end {last.isoformat()}")
    return Period(first, last)


def to_beijing(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, TIMEZONE)
