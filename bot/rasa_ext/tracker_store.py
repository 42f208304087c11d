"""Rasa's SQL tracker store configured by one SQLAlchemy URL (TRACKER_STORE_URL).

Rasa's own SQLTrackerStore takes dialect/host/port/db separately; this subclass accepts any SQLAlchemy
URL (SQLite file by default, PostgreSQL in production) so one environment variable configures it.

Its faster reads and writes (statements built once, a connection pool and WAL for SQLite) replace Rasa's
own methods and engine, so they are fenced (fence.py): with BJ_RASA_PATCHES=0 or on another Rasa version
the store reads and writes with Rasa's code.
"""

from __future__ import annotations

import itertools
import json
import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from bot.core import config
from bot.rasa_ext import fence

logger = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """Each turn commits; in WAL mode with synchronous=NORMAL a commit does not wait for the disk (a power
    cut may lose the last turns, never corrupt the file). Without it every turn blocked the server's event
    loop on an fsync. Readers (reports) no longer block the writer either."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


class UrlSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose database is `url` (endpoint `url:`), else TRACKER_STORE_URL, else SQLite."""

    engine: Any  # Rasa's SQLAlchemy engine (replaced by a pooled one for SQLite, see __init__)

    def __init__(
        self, domain: Any = None, host: str | None = None, url: str | None = None, **kwargs: Any
    ) -> None:
        target = url or host or config.tracker_store_url()
        parsed = make_url(target)
        backend = parsed.get_backend_name()
        if backend == "sqlite" and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.pop("dialect", None)
        # Rasa uses a host that contains "://" as the complete URL.
        super().__init__(
            domain=domain,
            dialect=backend,
            host=str(parsed.render_as_string(hide_password=False)),
            db=parsed.database or "rasa.db",
            **kwargs,
        )
        self._fast = fence.enabled()
        if self._fast:
            self._statements()
        if self._fast and backend == "sqlite":
            # Rasa's engine opens and closes a file connection per operation (SQLAlchemy 1.4's default for
            # SQLite files); closing the last one checkpoints the WAL to disk every turn. Keep a pool.
            self.engine.dispose()
            self.engine = sa.create_engine(
                self.engine.url,
                poolclass=QueuePool,
                pool_size=4,
                max_overflow=4,
                connect_args={"check_same_thread": False, "timeout": 30},
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
            with self.engine.connect() as conn:  # WAL is a property of the file: set it once, now
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            self.sessionmaker = sessionmaker(bind=self.engine)

    def _statements(self) -> None:
        """Rasa's event queries, built once (Rasa rebuilds them as ORM queries on every call, which cost
        more CPU than running them). Same SQL semantics: the latest session's events, ordered by id."""
        events = self.SQLEvent.__table__
        sid = sa.bindparam("sender_id")
        start = (
            sa.select(sa.func.max(events.c.timestamp))
            .where(events.c.sender_id == sid, events.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        in_session = sa.and_(
            events.c.sender_id == sid, sa.or_(events.c.timestamp >= start, start.is_(None))
        )
        self._select_session = sa.select(events.c.data).where(in_session).order_by(events.c.id)
        self._select_all = (
            sa.select(events.c.data).where(events.c.sender_id == sid).order_by(events.c.id)
        )
        self._count_session = sa.select(sa.func.count()).select_from(events).where(in_session)
        self._insert = events.insert()

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        if not self._fast:
            return await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        statement = self._select_all if fetch_events_from_all_sessions else self._select_session
        with self.engine.connect() as conn:
            rows = conn.execute(statement, {"sender_id": sender_id}).scalars().all()
        events = [json.loads(data) for data in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the events of the current session that are not stored yet, in one transaction."""
        if not self._fast:
            return await super().save(tracker)
        await self.stream_events(tracker)
        with self.engine.begin() as conn:
            stored = conn.execute(
                self._count_session, {"sender_id": tracker.sender_id}
            ).scalar_one()
            rows = []
            for event in itertools.islice(tracker.events, stored, len(tracker.events)):
                data = event.as_dict()
                rows.append(
                    {
                        "sender_id": tracker.sender_id,
                        "type_name": event.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": data.get("parse_data", {})
                        .get("intent", {})
                        .get(INTENT_NAME_KEY),
                        "action_name": data.get("name"),
                        "data": json.dumps(data),
                    }
                )
            if rows:
                conn.execute(self._insert, rows)

    async def delete_sender(self, sender_id: str) -> int:
        """Delete every stored event of one conversation; returns how many were deleted.

        Channels call this when a user asks to be forgotten (WeChat: unsubscribe). Async like Rasa's
        other tracker-store methods; the delete itself is one short SQL statement.
        """
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        return int(deleted)


def innermost(store: Any) -> Any:
    """The tracker store under Rasa's wrappers (FailSafeTrackerStore, AwaitableTrackerStore).

    Rasa 3.6 keeps the wrapped store in the private attribute `_tracker_store` and offers no public way
    to it; this only reads that attribute (nothing is replaced, so it is not behind the fence), and a
    store without it is returned as it is."""
    for _ in range(5):
        if not hasattr(store, "_tracker_store"):
            break
        store = store._tracker_store
    return store


async def delete_conversation(store: Any, sender_id: str) -> int | None:
    """Delete one conversation from an (innermost) tracker store: the number of events deleted, or None
    when the store cannot count them (Rasa's in-memory store) or cannot delete (logged)."""
    if hasattr(store, "delete_sender"):
        return int(await store.delete_sender(sender_id))
    if isinstance(getattr(store, "store", None), dict):  # InMemoryTrackerStore
        store.store.pop(sender_id, None)
        return None
    logger.warning("tracker store %s cannot delete conversations", type(store).__name__)
    return None
