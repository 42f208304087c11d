"""Opening-hours rules: ranges, lunch breaks, weekends, public holidays, closures, time zones."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.dialogue import hours

BJ = ZoneInfo("Asia/Shanghai")
MAIN_HALL = {
    "weekly": [
        {
            "days": ["mon", "tue", "wed", "thu", "fri", "sat"],
            "ranges": ["09:00-12:00", "13:30-17:00"],
        }
    ],
    "open_24h": False,
    "public_holidays": "closed",
    "closed_periods": [],
}


def at(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s).replace(tzinfo=BJ)


@pytest.mark.parametrize(
    ("moment", "state", "reason"),
    [
        ("2026-11-23 10:00", "open", "open"),  # Monday morning
        ("2026-11-23 08:59", "closed", "before_opening"),
        ("2026-11-23 12:30", "closed", "lunch_break"),
        ("2026-11-23 13:30", "open", "open"),
        ("2026-11-23 17:00", "closed", "after_closing"),
        ("2026-11-28 11:00", "open", "open"),  # Saturday: open Mon-Sat
        ("2026-11-29 11:00", "closed", "closed_today"),  # Sunday
        ("2026-10-01 10:00", "closed", "public_holiday"),  # National Day (a Thursday)
    ],
)
def test_status(moment: str, state: str, reason: str) -> None:
    st = hours.status(MAIN_HALL, at(moment))
    assert (st.state, st.reason) == (state, reason)


def test_lunch_break_reopens_same_day() -> None:
    st = hours.status(MAIN_HALL, at("2026-11-23 12:30"))
    assert st.next_open == at("2026-11-23 13:30")
    assert hours.status(MAIN_HALL, at("2026-11-23 10:00")).closes_at == dt.time(12, 0)


def test_next_opening_skips_sunday_and_holidays() -> None:
    assert hours.status(MAIN_HALL, at("2026-11-28 18:00")).next_open == at("2026-11-30 09:00")
    # National Day week 2026: 1-7 Oct off; Sat 10 Oct is a make-up working day, open by the weekly rule.
    st = hours.status(MAIN_HALL, at("2026-10-02 10:00"))
    assert st.reason == "public_holiday"
    assert st.holiday_name == "National Day"
    assert st.next_open == at("2026-10-08 09:00")


def test_server_timezone_does_not_matter() -> None:
    # 02:30 UTC is 10:30 in Beijing; a UTC timestamp must be judged in Beijing time.
    utc = dt.datetime(2026, 11, 23, 2, 30, tzinfo=dt.timezone.utc)
    assert hours.status(MAIN_HALL, utc).state == "open"
    # 20:00 UTC on Sunday is 04:00 Monday in Beijing: closed, opening at 09:00 Beijing.
    st = hours.status(MAIN_HALL, dt.datetime(2026, 11, 22, 20, 0, tzinfo=dt.timezone.utc))
    assert st.reason == "before_opening"
    assert st.next_open == at("2026-11-23 09:00")


def test_closed_period_and_open_on_holidays() -> None:
    centre = {
        "weekly": [{"days": list(hours.WEEKDAYS), "ranges": ["08:30-17:30"]}],
        "open_24h": False,
        "public_holidays": "open",
        "closed_periods": [
            {"from": "2026-02-15", "to": "2026-02-23", "reason": {"en": "Spring Festival"}}
        ],
    }
    st = hours.status(centre, at("2026-02-17 10:00"))
    assert (st.state, st.reason) == ("closed", "closed_period")
    assert st.period_reason == {"en": "Spring Festival"}
    assert st.next_open == at("2026-02-24 08:30")
    assert hours.status(centre, at("2026-10-01 10:00")).state == "open"


def test_open_24h_and_unknown() -> None:
    assert (
        hours.status({"open_24h": True, "weekly": []}, at("2026-10-01 03:00")).reason == "open_24h"
    )
    assert hours.status(None, at("2026-11-23 10:00")).state == "unknown"


def test_year_without_holiday_data_is_not_guessed() -> None:
    st = hours.status(MAIN_HALL, at("2031-03-03 10:00"))
    assert (st.state, st.reason) == ("unknown", "holiday_unknown")


def test_resolve_day() -> None:
    monday = at("2026-11-23 15:00")
    assert hours.resolve_day("saturday", monday) == at("2026-11-28 10:00")
    assert hours.resolve_day("monday", monday) == monday
    assert hours.resolve_day("tomorrow", monday) == at("2026-11-24 10:00")
    assert hours.resolve_day("now", monday) == monday


def test_holiday_with_unknown_policy_is_not_guessed() -> None:
    unknown_policy = {**MAIN_HALL, "public_holidays": "unknown"}
    st = hours.status(unknown_policy, at("2026-10-01 10:00"))
    assert (st.state, st.reason) == ("unknown", "holiday_unknown")
    assert hours.status(unknown_policy, at("2026-11-23 10:00")).state == "open"


def test_a_holiday_asked_by_name_is_a_moment_that_carries_it() -> None:
    """ "during Spring Festival": not a date (the calendar knows the holidays a year ahead only) but
    the holiday, which the answer reads as the place's holiday rule."""
    now = at("2026-12-07 10:00")
    moment = hours.resolve_day("spring_festival", now)
    assert hours.asked_holiday(moment) == "spring_festival"
    assert moment == now
    assert hours.asked_holiday(hours.resolve_day("saturday", now)) is None
    assert hours.asked_holiday(None) is None
