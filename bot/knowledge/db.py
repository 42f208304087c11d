"""Engines and sessions for the knowledge base (any SQLAlchemy URL; SQLite by default).

Two guarantees the assistant relies on while staff publish new knowledge:

* a sync is one transaction, and two syncs never interleave (`write_lock`);
* the reads behind one answer see one published version, never a mix of the old and the new one
  (`read_session`: one transaction with a stable snapshot, on SQLite and on PostgreSQL).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import create_engine, delete, event, insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from bot.core import config
from bot.knowledge.models import KNOWLEDGE_TABLES, RETIRED_TABLES, SCHEMA_VERSION, Base, Meta

logger = logging.getLogger(__name__)

# Any constant: the PostgreSQL advisory lock that serialises syncs.
_SYNC_LOCK_KEY = 4_201_126_001


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL per process (engines pool connections and are thread-safe)."""
    return _engine(url or config.kb_database_url())


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = _sqlite_engine(url, timeout=30)
    else:
        engine = create_engine(url, future=True, pool_pre_ping=True)
    Base.metadata.create_all(engine)
    _upgrade(engine)
    return engine


class IdleClosingPool(NullPool):
    """SQLite connections kept between read sessions while reads keep coming, closed once idle.

    Each new SQLite connection loads the database's schema at its first statement, and in WAL mode the
    last one to close checkpoints and removes the -wal and -shm files: about half of a knowledge read's
    CPU (docs/measurements.md, seventh session). A returned connection is therefore kept for the next
    read session, but only for IDLE_SECONDS: an open connection keeps another process from taking an
    exclusive lock on the file (SQLite's own locking, e.g. a backup tool; tests/e2e/test_faults.py), so
    a background thread closes every connection idle that long, and an idle assistant holds none. Each
    read session still begins its own transaction, so a sync is seen by the next read.
    """

    IDLE_SECONDS = 0.2

    def __init__(self, creator: Any, **kw: Any) -> None:
        super().__init__(creator, **kw)
        self._free: list[tuple[float, Any]] = []  # (returned at, connection record), latest last
        self._free_lock = threading.Lock()
        self._closer: threading.Thread | None = None

    def status(self) -> str:
        return f"IdleClosingPool ({len(self._free)} idle)"

    def _do_get(self) -> Any:
        with self._free_lock:
            if self._free:
                return self._free.pop()[1]
        return self._create_connection()

    def _do_return_conn(self, record: Any) -> None:
        with self._free_lock:
            self._free.append((time.monotonic(), record))
            if self._closer is None:
                self._closer = threading.Thread(
                    target=self._close_idle, name="kb-idle-connections", daemon=True
                )
                self._closer.start()

    def _close_idle(self) -> None:
        while True:
            time.sleep(self.IDLE_SECONDS / 2)
            now = time.monotonic()
            with self._free_lock:
                stale = [r for t, r in self._free if now - t >= self.IDLE_SECONDS]
                self._free = [(t, r) for t, r in self._free if now - t < self.IDLE_SECONDS]
                done = not self._free
                if done:
                    self._closer = None
            for record in stale:
                record.close()
            if done:
                return

    def dispose(self) -> None:
        with self._free_lock:
            free, self._free = self._free, []
        for _, record in free:
            record.close()

    def recreate(self) -> IdleClosingPool:
        return self.__class__(
            self._creator,
            recycle=self._recycle,
            echo=self.echo,
            logging_name=self._orig_logging_name,
            reset_on_return=self._reset_on_return,
            pre_ping=self._pre_ping,
            _dispatch=self.dispatch,
            dialect=self._dialect,
        )


def _sqlite_engine(url: str, timeout: float, keep_idle: bool = False) -> Engine:
    """A SQLite engine whose connections wait at most `timeout` seconds for a lock; with `keep_idle`,
    connections are reused between sessions until idle (IdleClosingPool)."""
    if keep_idle:
        engine = create_engine(
            url,
            future=True,
            poolclass=IdleClosingPool,
            # a kept connection serves the next session in another thread; the pool's thread closes it
            connect_args={"timeout": timeout, "check_same_thread": False},
        )
    else:
        engine = create_engine(url, future=True, connect_args={"timeout": timeout})

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite only opens a transaction before writes, so two SELECTs could see two versions.
        # Take transaction control (SQLAlchemy's documented recipe) and BEGIN explicitly below.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        # WAL lets the assistant keep reading the old data while a sync writes the new.
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Connection) -> None:
        # A writer takes the database's write lock at once, so a second sync waits for the first.
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _upgrade(engine: Engine) -> None:
    """Rebuild the knowledge tables when their schema changed (their content comes back with the next sync)."""
    with engine.connect() as conn, conn.begin():
        version = conn.execute(select(Meta.value).where(Meta.key == "schema_version")).scalar()
        if version == SCHEMA_VERSION:
            return
        for name in RETIRED_TABLES:  # tables of older versions, before the tables they refer to
            conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
        Base.metadata.drop_all(conn, tables=KNOWLEDGE_TABLES)
        Base.metadata.create_all(conn, tables=KNOWLEDGE_TABLES)
        conn.execute(delete(Meta).where(Meta.key == "schema_version"))
        conn.execute(insert(Meta).values(key="schema_version", value=SCHEMA_VERSION))


@lru_cache(maxsize=8)
def _read_engine(url: str) -> Engine:
    """The engine of the assistant's reads: it gives up on a locked database after KB_LOCK_TIMEOUT
    seconds (the answer is then the polite "knowledge base unavailable" one) instead of holding the user,
    and a thread of the action server, for SQLite's 30 s; syncs keep their longer wait."""
    timeout = config.kb_lock_timeout()
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        reads = _sqlite_engine(url, timeout=timeout, keep_idle=True)
        # The schema check too gives up after `timeout` (the first read may come while a sync, or another
        # process, holds the lock); an error is not cached, so the next read tries again.
        Base.metadata.create_all(reads)
        _upgrade(reads)
        return reads
    engine = get_engine(url)  # creates or upgrades the schema first
    if engine.dialect.name == "postgresql":
        reads = create_engine(
            url,
            future=True,
            pool_pre_ping=True,
            connect_args={"options": f"-c lock_timeout={int(timeout * 1000)}"},
        )
        # One snapshot for the whole transaction (READ COMMITTED takes one per statement).
        return reads.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return engine


@lru_cache(maxsize=8)
def _read_sessions(url: str) -> sessionmaker:
    return sessionmaker(bind=_read_engine(url), future=True, expire_on_commit=False)


def read_session(url: str | None = None) -> Session:
    """A session whose reads all see the same published version of the knowledge."""
    return _read_sessions(url or config.kb_database_url())()


T = TypeVar("T")


# Inside `one_answer`: what each Published thing gave in this answer, by (thing, database URL), and
# what `per_answer` computed, by its key.
_ANSWER: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar(
    "knowledge_answer", default=None
)


@contextmanager
def one_answer() -> Iterator[None]:
    """Within the block (one action's answer to one message), each `Published` thing checks the
    published version once, at its first use, instead of at every use (4-5 times per turn, a read
    session each). A sync is still seen by the next answer, without a restart."""
    token = _ANSWER.set({})
    try:
        yield
    finally:
        _ANSWER.reset(token)


def per_answer(key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """Inside `one_answer`: `compute()` once per `key` (which must name everything the result depends
    on besides the published knowledge) and the same result for the rest of the answer; outside it,
    `compute()` at every call. Never kept across answers, so a sync is seen by the next answer. An
    error is not kept (the next call tries again)."""
    answer = _ANSWER.get()
    if answer is None:
        return compute()
    full = ("per_answer", *key)
    if full in answer:
        return answer[full]
    value = compute()
    answer[full] = value
    return value


class Published(Generic[T]):
    """Something built from the published knowledge (the FAQ index, the names matcher) and rebuilt
    only when `version` changes, i.e. after a sync: one cheap query per use (per answer inside
    `one_answer`), the build once per version. Reads use the read engine, so a locked database gives
    up after KB_LOCK_TIMEOUT."""

    def __init__(self, version: Callable[[Connection], Any], build: Callable[[Connection], T]):
        self._version = version
        self._build = build
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[Any, T]] = {}
        _PUBLISHED.append(self)

    def get(self, url: str | None = None) -> T:
        url = url or config.kb_database_url()
        answer = _ANSWER.get()
        if answer is not None and (id(self), url) in answer:
            return answer[(id(self), url)]
        built = self._current(url)
        if answer is not None:
            answer[(id(self), url)] = built
        return built

    def _read_version(self, url: str) -> Any:
        with read_session(url) as session:
            return self._version(session.connection())

    def _current(self, url: str) -> T:
        # Things with the same version function (the names matcher, the procedures) share one check
        # per answer: a read session, hence a new SQLite connection, each.
        version = per_answer(
            ("published_version", self._version, url), lambda: self._read_version(url)
        )
        cached = self._cache.get(url)
        if cached and cached[0] == version:
            return cached[1]
        with self._lock, read_session(url) as session:
            conn = session.connection()
            version = self._version(conn)  # read again inside the snapshot it is built from
            cached = self._cache.get(url)
            if cached and cached[0] == version:
                # Another thread built it while this one waited for the lock (the first answers after
                # a start or a sync all find it missing: it is built once, not once per thread).
                return cached[1]
            built = self._build(conn)
            self._cache[url] = (version, built)
        return built


# Every Published thing (a few, each made once per process), for `build_published`.
_PUBLISHED: list[Published[Any]] = []


def build_published(url: str | None = None) -> list[str]:
    """Build now, as the first question would, everything made from the published knowledge that
    exists so far in this process (the questions-and-answers index and the names matcher, made when
    their modules are imported). Errors come back one line each rather than raised: the first question
    then tries again, and answers politely if it cannot. The action server calls it at start
    (`prepare_published`)."""
    errors = []
    for published in list(_PUBLISHED):
        try:
            published.get(url)
        except Exception as error:  # a database not synced yet, locked, or unreachable
            errors.append(f"{published._build.__module__}: {type(error).__name__}: {error}")
    return errors


def prepare_published(url: str | None = None) -> None:
    """`build_published`, logged: the action server calls it when it starts, before it listens, so that
    its first answers do not build (seconds under load; they outlasted the Rasa server's
    ACTION_SERVER_TIMEOUT) and the launcher's readiness check means "ready to answer". A database that
    cannot be read yet costs at most KB_LOCK_TIMEOUT per thing here; the first question tries again."""
    started = time.monotonic()
    for error in build_published(url):
        logger.warning(
            "Knowledge not prepared at start (the first question will try again): %s", error
        )
    logger.info("Knowledge prepared at start in %.1f s", time.monotonic() - started)


def write_connection(url: str | None = None) -> Connection:
    """A connection for a sync; call `write_lock` as the first statement of its transaction."""
    conn = get_engine(url or config.kb_database_url()).connect()
    if conn.dialect.name == "sqlite":
        conn = conn.execution_options(sqlite_immediate=True)
    return conn


def write_lock(conn: Connection) -> None:
    """Serialise syncs: wait until no other sync is writing (released at commit or rollback)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SYNC_LOCK_KEY})
    # SQLite: BEGIN IMMEDIATE (see get_engine) already holds the write lock.
