"""Rasa's SQL tracker store, read and trimmed with SQLAlchemy Core.

Rasa (`rasa.core.tracker_store.SQLTrackerStore`) keeps every event of every conversation as one row of the
table `events`; the mirror below has the columns we use, so this package does not import Rasa.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, inspect
from sqlalchemy.engine import Engine, make_url

metadata = MetaData()

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


class StoreMissing(Exception):
    """There is no conversation store at the URL (yet)."""


def describe(url: str) -> str:
    """The URL for messages: the password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def open_store(url: str) -> Engine:
    """An engine for the conversation store at `url`; StoreMissing when it has no conversations table.

    A SQLite file that does not exist is not created (that would only hide a wrong path).
    """
    parsed = make_url(url)
    if (
        parsed.get_backend_name() == "sqlite"
        and parsed.database
        and not Path(parsed.database).exists()
    ):
        raise StoreMissing(f"there is no conversation store at {parsed.database}")
    engine = create_engine(url, future=True)
    if not inspect(engine).has_table("events"):
        engine.dispose()
        raise StoreMissing(f"{describe(url)} has no conversations yet (no table 'events')")
    return engine


@dataclass(frozen=True)
class Event:
    """One stored event: its row's columns with `data` decoded (Rasa's event as a dict)."""

    id: int
    sender_id: str
    type_name: str
    timestamp: float
    data: dict[str, Any]


def decode(row: Any) -> Event:
    try:
        data = json.loads(row.data) if row.data else {}
    except ValueError:
        data = {}
    return Event(
        row.id,
        row.sender_id,
        row.type_name,
        float(row.timestamp or 0.0),
        data if isinstance(data, dict) else {},
    )


def iterate(engine: Engine, statement: Any, batch: int = 2000) -> Iterator[Event]:
    """The events a select() returns, decoded, fetched in batches (a year of events need not fit in memory)."""
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True).execute(statement)
        for rows in result.partitions(batch):
            for row in rows:
                yield decode(row)
