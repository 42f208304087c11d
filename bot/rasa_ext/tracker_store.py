"""Rasa's SQL tracker store configured by one SQLAlchemy URL (TRACKER_STORE_URL).

Rasa's own SQLTrackerStore takes dialect/host/port/db separately; this subclass accepts any SQLAlchemy
URL (SQLite file by default, PostgreSQL in production) so one environment variable configures it.

Its faster reads and writes (statements built once, a connection pool and WAL for SQLite) replace Rasa's
own methods and engine, so they are fenced (fence.py): with BJ_RASA_PATCHES=0 or on another Rasa version
the store reads and writes with Rasa's code.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import SESSION_START_METADATA_SLOT
from rasa.shared.core.events import Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from bot.core import config
from bot.nlu.text_vector import TEXT_VECTOR
from bot.rasa_ext import fence

logger = logging.getLogger(__name__)

logger = logging.getLogger(__name__)

# How long a read or a save of a conversation is retried while its database is unreachable.
RETRY_SECONDS = 8.0


def stored_form(event: Event) -> dict[str, Any]:
    """The event as stored: the message metadata once, in the user's event.

    Rasa copies the metadata of a conversation's first message into the slot `session_started_metadata`
    twice (before `action_session_start` and again when that action carries the slots into the new
    session), and its NLU result repeats it in `parse_data`: 10 MB of metadata wrote 40 MB. The assistant
    reads metadata only from the user's message (`tracker.latest_message`), so the copies are stored as
    a reference instead of the value.
    """
    data = event.as_dict()
    if isinstance(event, SlotSet) and event.key == SESSION_START_METADATA_SLOT and event.value:
        data["value"] = {"stored_in": "the first user event of the session"}
    elif isinstance(event, UserUttered):
        parse_data = data.get("parse_data")
        if isinstance(parse_data, dict) and parse_data.get("metadata"):
            data["parse_data"] = {k: v for k, v in parse_data.items() if k != "metadata"}
    return data


def forget_text_vectors(tracker: DialogueStateTracker) -> None:
    """Drop the NLU's sentence vector of the user's messages (bot/nlu/text_vector.py, 2.7 KB each) from
    their parse data: it serves the action server during its turn only, and is neither stored nor sent
    to an event broker."""
    for past in tracker.events:
        if isinstance(past, UserUttered):
            past.parse_data.pop(TEXT_VECTOR, None)


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
        self._indexes()  # plain DDL, useful to Rasa's own queries too
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
        elif backend != "sqlite":
            # Test pooled connections before use: after a database restart the pool would otherwise hand
            # out dead connections and fail one turn per connection (Rasa creates its engine without this).
            from rasa.core.tracker_store import create_engine_kwargs

            url_ = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url_, pool_pre_ping=True, **create_engine_kwargs(url_))
            self.sessionmaker = sessionmaker(bind=self.engine)

    async def _retrying(self, what: str, work: Any) -> Any:
        """`work()`, tried again while the database is unreachable (a restart, a fail-over) for up to
        about RETRY_SECONDS, so a turn is neither lost nor failed by a short outage."""
        delay, waited = 0.25, 0.0
        while True:
            try:
                return work()
            except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
                if waited >= RETRY_SECONDS:
                    raise
                logger.warning(
                    "conversation store unavailable (%s: %s); retrying in %.2f s",
                    what,
                    type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                waited += delay
                delay = min(delay * 2, 1.0)

    def _indexes(self) -> None:
        """Indexes for the latest-session queries below: without them each turn scanned every stored
        event of the conversation (all its sessions) twice, a cost that grew with the conversation."""
        statements = (
            "CREATE INDEX IF NOT EXISTS ix_events_sender_type_time ON events (sender_id, type_name, timestamp)",
            "CREATE INDEX IF NOT EXISTS ix_events_sender_time ON events (sender_id, timestamp)",
        )
        try:
            with self.engine.begin() as conn:
                for statement in statements:
                    conn.exec_driver_sql(statement)
        except (
            sa.exc.DBAPIError
        ) as exc:  # e.g. two servers creating them at once: the other one did
            logger.warning("conversation store indexes not created here: %s", exc.orig)

    def _statements(self) -> None:
        """Rasa's event queries, built once (Rasa rebuilds them as ORM queries on every call, which cost
        more CPU than running them). Same SQL semantics: the latest session's events, ordered by id."""
        events = self.SQLEvent.__table__
        sid = sa.bindparam("sender_id")
        # The latest session starts at its SessionStarted event's timestamp (None: no session yet, all
        # events). Each statement below asks for it in an uncorrelated subquery, so the session's events
        # are a range of the (sender_id, timestamp) index (tests/rasa_ext/test_tracker_store.py checks
        # the query plans): a comparison with the timestamp that the planner could not use as a range
        # read every stored event of the conversation (all its sessions), and a turn's cost grew with
        # the conversation's length.
        self._session_start = sa.select(sa.func.max(events.c.timestamp)).where(
            events.c.sender_id == sid, events.c.type_name == SessionStarted.type_name
        )
        self._select_all = (
            sa.select(events.c.data).where(events.c.sender_id == sid).order_by(events.c.id)
        )
        self._count_all = (
            sa.select(sa.func.count()).select_from(events).where(events.c.sender_id == sid)
        )
        # What a save asks: the number of stored events of the latest session (of the conversation, when
        # it has no session start yet), in one statement; CASE runs only the count it returns.
        start = self._session_start.scalar_subquery()
        self._count_stored = sa.select(
            sa.case(
                (start.is_(None), self._count_all.scalar_subquery()),
                else_=sa.select(sa.func.count())
                .select_from(events)
                .where(events.c.sender_id == sid, events.c.timestamp >= start)
                .scalar_subquery(),
            )
        )
        # What a read asks, as one statement: the latest session's events, or all of the conversation's
        # events when it has no session start yet. The second part looks up the sender only then (else
        # NULL, which no row has): a condition that does not name a column, such as `start IS NULL`,
        # is checked on every row of the conversation instead. The rows are put in id order after
        # reading.
        self._select_latest = sa.union_all(
            sa.select(events.c.id, events.c.data).where(
                events.c.sender_id == sid, events.c.timestamp >= start
            ),
            sa.select(events.c.id, events.c.data).where(
                events.c.sender_id == sa.case((start.is_(None), sid))
            ),
        )
        self._insert = events.insert()

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        if not self._fast:
            return await super()._retrieve(sender_id, fetch_events_from_all_sessions)

        def read() -> list[str]:
            with self.engine.connect() as conn:
                if fetch_events_from_all_sessions:
                    return list(conn.execute(self._select_all, {"sender_id": sender_id}).scalars())
                rows = conn.execute(self._select_latest, {"sender_id": sender_id})
                return [data for _id, data in sorted(rows.all())]

        rows = await self._retrying("read", read)
        events = [json.loads(data) for data in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the events of the current session that are not stored yet, in one transaction."""
        forget_text_vectors(tracker)
        if not self._fast:
            return await super().save(tracker)
        await self.stream_events(tracker)
        await self._retrying("write", lambda: self._save(tracker))

    def _save(self, tracker: DialogueStateTracker) -> None:
        with self.engine.begin() as conn:
            stored = conn.execute(self._count_stored, {"sender_id": tracker.sender_id}).scalar_one()
            rows = []
            for event in itertools.islice(tracker.events, stored, len(tracker.events)):
                data = stored_form(event)
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


class ConversationNotSaved(RuntimeError):
    """The tracker store refused a turn; the channel tells the user it failed instead of keeping it."""


def refuse_in_memory_fallback() -> bool:
    """Make a failed save an error of the turn instead of a conversation kept in memory for good.

    Rasa's `Agent` wraps every tracker store in `FailSafeTrackerStore`, whose `save` catches any error
    and saves the tracker into an `InMemoryTrackerStore` that is never read back nor emptied: one
    conversation the database refuses (a NUL byte on PostgreSQL, a lone surrogate), or every conversation
    during a database outage, then stays in the server's memory for good (issue 17, defect 1). With this
    patch the error is logged once, clearly, and raised to the channel, which answers that the turn failed
    (REST 503, Socket.IO `bot_error`, WeChat's error text); the client may send the message again.

    Fenced (bot/rasa_ext/fence.py): applied only to the Rasa version it was checked against and unless
    BJ_RASA_PATCHES=0; returns whether it was applied. bot/rasa_ext/rasa_server.py installs it before Rasa starts.
    """
    from rasa.core import tracker_store as rasa_tracker_store

    if not fence.enabled():  # another Rasa version, or BJ_RASA_PATCHES=0: Rasa's own behaviour
        return False
    cls = rasa_tracker_store.FailSafeTrackerStore
    if getattr(cls.save, "_no_fallback", False):
        return True

    async def save(self: Any, tracker: DialogueStateTracker) -> None:
        try:
            await self._tracker_store.save(tracker)
        except Exception as exc:
            logger.error(
                "conversation %s could not be saved to %s (%s: %s); the turn fails and nothing is "
                "kept in memory",
                tracker.sender_id.encode("utf-8", "backslashreplace").decode()[:80],
                type(self._tracker_store).__name__,
                type(exc).__name__,
                str(exc)[:200],
            )
            raise ConversationNotSaved(str(exc)[:200]) from exc

    save._no_fallback = True  # type: ignore[attr-defined]
    cls.save = save
    return True


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
