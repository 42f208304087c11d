"""Deleting conversations: those past the retention period, or everything about one user.

Retention (`older_than`): a conversation (all events of one sender) with no event since the cutoff is
deleted entirely. A conversation still active keeps its current session (Rasa rebuilds the conversation
from its latest `session_started` event: see `SQLTrackerStore._event_query`), and loses its events older
than both the cutoff and that session start. The language and other slots carry over into every new
session (domain.yml), so nothing the assistant needs is lost.

Every deletion runs in one transaction: all of it happens, or none.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import ColumnElement

from bot.conversations.store import events

DEFAULT_RETENTION_DAYS = 90


def retention_days() -> int:
    """CONVERSATION_RETENTION_DAYS, default 90; ValueError for anything but a positive whole number."""
    raw = (os.environ.get("CONVERSATION_RETENTION_DAYS") or "").strip()
    if not raw:
        return DEFAULT_RETENTION_DAYS
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(
            f"CONVERSATION_RETENTION_DAYS must be a whole number of days (1 or more), not {raw!r}"
        )
    return int(raw)


@dataclass
class Counts:
    """What a purge deletes (or deleted)."""

    conversations: int = 0  # deleted entirely
    events_whole: int = 0
    trimmed: int = 0  # still active, older sessions deleted
    events_trimmed: int = 0

    @property
    def events(self) -> int:
        return self.events_whole + self.events_trimmed


def cutoff_for(days: int, now: float | None = None) -> float:
    return (now if now is not None else time.time()) - days * 86400


def _stale_senders(cutoff: float) -> Any:  # a SQLAlchemy select (SQLAlchemy 1.4 is untyped)
    """Senders whose latest event is older than the cutoff."""
    return (
        select(events.c.sender_id)
        .group_by(events.c.sender_id)
        .having(func.max(events.c.timestamp) < cutoff)
    )


def _old_sessions(cutoff: float) -> ColumnElement[bool]:
    """Events older than the cutoff and before their conversation's latest session start."""
    later = events.alias("later")
    session_start = (
        select(func.max(later.c.timestamp))
        .where(later.c.sender_id == events.c.sender_id, later.c.type_name == "session_started")
        .scalar_subquery()
    )
    return and_(events.c.timestamp < cutoff, events.c.timestamp < session_start)


def _count(conn: Connection, condition: ColumnElement[bool]) -> tuple[int, int]:
    """(events, senders) matching `condition`."""
    row = conn.execute(
        select(func.count(), func.count(func.distinct(events.c.sender_id)))
        .select_from(events)
        .where(condition)
    ).one()
    return int(row[0]), int(row[1])


def plan_retention(engine: Engine, cutoff: float) -> Counts:
    """What `purge_retention` would delete now."""
    with engine.connect() as conn:
        whole = events.c.sender_id.in_(_stale_senders(cutoff))
        events_whole, conversations = _count(conn, whole)
        events_trimmed, trimmed = _count(conn, and_(~whole, _old_sessions(cutoff)))
    return Counts(conversations, events_whole, trimmed, events_trimmed)


def purge_retention(engine: Engine, cutoff: float) -> Counts:
    """Delete conversations idle since before `cutoff` and older sessions of the others; one transaction."""
    with engine.begin() as conn:
        whole = events.c.sender_id.in_(_stale_senders(cutoff))
        events_whole, conversations = _count(conn, whole)
        deleted_whole = conn.execute(delete(events).where(whole)).rowcount
        events_trimmed, trimmed = _count(conn, _old_sessions(cutoff))
        deleted_trimmed = conn.execute(delete(events).where(_old_sessions(cutoff))).rowcount
    return Counts(
        conversations,
        int(deleted_whole if deleted_whole >= 0 else events_whole),
        trimmed,
        int(deleted_trimmed if deleted_trimmed >= 0 else events_trimmed),
    )


@dataclass
class UserData:
    sender_id: str
    events: int
    first: float | None
    last: float | None


def plan_users(engine: Engine, sender_ids: list[str]) -> list[UserData]:
    """How many events each user has (and since when), for the confirmation."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                events.c.sender_id,
                func.count(),
                func.min(events.c.timestamp),
                func.max(events.c.timestamp),
            )
            .where(events.c.sender_id.in_(sender_ids))
            .group_by(events.c.sender_id)
        ).all()
    found = {r[0]: UserData(r[0], int(r[1]), r[2], r[3]) for r in rows}
    return [found.get(s, UserData(s, 0, None, None)) for s in sender_ids]


def purge_users(engine: Engine, sender_ids: list[str]) -> int:
    """Delete every event of these users (one transaction); returns how many were deleted."""
    with engine.begin() as conn:
        return int(conn.execute(delete(events).where(events.c.sender_id.in_(sender_ids))).rowcount)


def describe_cutoff(cutoff: float) -> str:
    from bot.core.config import TIMEZONE

    return dt.datetime.fromtimestamp(cutoff, TIMEZONE).strftime("%Y-%m-%d %H:%M (Beijing time)")
