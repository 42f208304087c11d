"""Opening-hours logic: is a place open at a given moment in Beijing, and when does it open next.

All reasoning happens in Asia/Shanghai time whatever the server's timezone. Public holidays come from the
`chinesecalendar` package (the State Council's yearly schedule); for years it has no data yet the answer
says the holiday status is unknown rather than guessing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import chinese_calendar

from bot.core.config import TIMEZONE
from bot.core.vocab import WEEKDAYS


@dataclass(frozen=True)
class Status:
    """Whether a place is open at one moment, and why."""

    state: str  # "open" | "closed" | "unknown"
    reason: str  # see REASONS below
    closes_at: dt.time | None = None
    next_open: dt.datetime | None = None
    holiday_name: str | None = None
    period_reason: dict[str, str] | None = None


# reason codes: open_24h, open, lunch_break, before_opening, after_closing, closed_today,
# public_holiday, closed_period, hours_unknown, holiday_unknown


def now_beijing() -> dt.datetime:
    return dt.datetime.now(TIMEZONE)


def to_beijing(when: dt.datetime | None) -> dt.datetime:
    if when is None:
        return now_beijing()
    if when.tzinfo is None:
        return when.replace(tzinfo=TIMEZONE)
    return when.astimezone(TIMEZONE)


def public_holiday(day: dt.date) -> tuple[bool | None, str | None]:
    """(True, name) on a statutory holiday, (False, None) otherwise, (None, None) when unknown."""
    try:
        is_off, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None, None
    return (True, name) if is_off and name else (False, None)


def _parse(r: str) -> tuple[dt.time, dt.time]:
    start, end = r.split("-")
    sh, sm = map(int, start.split(":"))
    eh, em = map(int, end.split(":"))
    return dt.time(sh, sm), (dt.time(23, 59, 59) if eh == 24 else dt.time(eh, em))


def ranges_for(hours: dict[str, Any], day: dt.date) -> list[tuple[dt.time, dt.time]]:
    """Opening ranges on `day` by the weekly schedule alone (no holidays)."""
    code = WEEKDAYS[day.weekday()]
    for rule in hours.get("weekly", []):
        if code in rule["days"]:
            return [_parse(r) for r in rule["ranges"]]
    return []


def _closed_period(hours: dict[str, Any], day: dt.date) -> dict[str, Any] | None:
    iso = day.isoformat()
    for period in hours.get("closed_periods", []):
        if period["from"] <= iso <= period["to"]:
            return period
    return None


def day_ranges(
    hours: dict[str, Any], day: dt.date
) -> tuple[list[tuple[dt.time, dt.time]], str | None]:
    """Ranges the place is open on `day` and, when closed all day, why (holiday, closed_period...)."""
    if hours.get("open_24h"):
        return [(dt.time(0, 0), dt.time(23, 59, 59))], None
    if _closed_period(hours, day):
        return [], "closed_period"
    ranges = ranges_for(hours, day)
    policy = hours.get("public_holidays", "unknown")
    if ranges and policy != "open":
        holiday, _ = public_holiday(day)
        if holiday and policy == "closed":
            return [], "public_holiday"
        if holiday or holiday is None:
            # A holiday with no known holiday policy, or a year without holiday data: do not guess.
            return ranges, "holiday_unknown"
    return ranges, None if ranges else "closed_today"


def status(hours: dict[str, Any] | None, when: dt.datetime | None = None) -> Status:
    """Open/closed/unknown for `hours` at `when` (default: now in Beijing)."""
    when = to_beijing(when)
    if not hours:
        return Status("unknown", "hours_unknown")
    if hours.get("open_24h"):
        return Status("open", "open_24h")
    day = when.date()
    ranges, why = day_ranges(hours, day)
    holiday_name = public_holiday(day)[1]
    nxt = next_opening(hours, when)
    if why == "closed_period":
        period = _closed_period(hours, day) or {}
        return Status("closed", why, next_open=nxt, period_reason=period.get("reason"))
    if why == "public_holiday":
        return Status("closed", why, next_open=nxt, holiday_name=holiday_name)
    if not ranges:
        return Status("closed", "closed_today", next_open=nxt)
    t = when.time()
    for start, end in ranges:
        if start <= t < end:
            if why == "holiday_unknown":
                return Status("unknown", why, closes_at=end)
            return Status("open", "open", closes_at=end)
    if t < ranges[0][0]:
        reason = "before_opening"
    elif t >= ranges[-1][1]:
        reason = "after_closing"
    else:
        reason = "lunch_break"
    return Status("closed", reason, next_open=nxt)


def next_opening(
    hours: dict[str, Any] | None, when: dt.datetime | None = None, horizon_days: int = 21
) -> dt.datetime | None:
    """The next moment after `when` at which the place opens, within `horizon_days`."""
    when = to_beijing(when)
    if not hours:
        return None
    if hours.get("open_24h"):
        return when
    for offset in range(horizon_days + 1):
        day = when.date() + dt.timedelta(days=offset)
        ranges, _ = day_ranges(hours, day)
        for start, _end in ranges:
            moment = dt.datetime.combine(day, start, tzinfo=TIMEZONE)
            if moment > when:
                return moment
    return None


# Holidays a user names ("during Spring Festival", "国庆", "am Nationalfeiertag"): values of the `weekday`
# entity (bot/nlu/forms/), and the name the holiday's closed periods give in knowledge/ (`reason.en`);
# `public_holiday` is a holiday not named ("on public holidays", "节假日", "an Feiertagen").
HOLIDAYS: dict[str, str | None] = {
    "spring_festival": "Spring Festival",
    "national_day": "National Day",
    "labour_day": "Labour Day",
    "new_year": "New Year",
    "public_holiday": None,
}


class HolidayMoment(dt.datetime):
    """A moment asked as a public holiday, not as a date: "open during Spring Festival?" asks the place's
    holiday rule (closed, open, a closed period, or not known), whatever the year's holiday dates are
    (`chinesecalendar` knows them only a year ahead). The moment itself is the time it was asked."""

    holiday: str


def holiday_moment(holiday: str, when: dt.datetime | None = None) -> HolidayMoment:
    when = to_beijing(when)
    moment = HolidayMoment(
        when.year, when.month, when.day, when.hour, when.minute, when.second, tzinfo=when.tzinfo
    )
    moment.holiday = holiday
    return moment


def asked_holiday(moment: dt.datetime | None) -> str | None:
    """The holiday a moment was asked as (a key of HOLIDAYS), or None for a date or now."""
    return getattr(moment, "holiday", None)


def resolve_day(weekday: str | None, when: dt.datetime | None = None) -> dt.datetime:
    """Turn a weekday entity (monday..sunday, today, tomorrow, day_after_tomorrow, now, or a holiday) into a moment to check.

    A named day means that day's next occurrence (today if it is that day), at the current time of
    day when it is today, else at 10:00 (a typical morning visit); a holiday, a HolidayMoment.
    """
    when = to_beijing(when)
    if weekday in HOLIDAYS:
        return holiday_moment(weekday, when)
    if weekday in (None, "now", "today"):
        return when
    if weekday in ("tomorrow", "day_after_tomorrow"):
        days = 1 if weekday == "tomorrow" else 2
        return dt.datetime.combine(
            when.date() + dt.timedelta(days=days), dt.time(10, 0), tzinfo=TIMEZONE
        )
    names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    if weekday not in names:
        return when
    delta = (names.index(weekday) - when.weekday()) % 7
    if delta == 0:
        return when
    return dt.datetime.combine(
        when.date() + dt.timedelta(days=delta), dt.time(10, 0), tzinfo=TIMEZONE
    )
