"""Engines and sessions for the knowledge base (any SQLAlchemy URL; SQLite by default).

Two guarantees the assistant relies on while staff publish new knowledge:

* a sync is one transaction, and two syncs never interleave (`write_lock`);
* the reads behind one answer see one published version, never a mix of the old and the new one
  (`read_session`: one transaction with a stable snapshot, on SQLite and on PostgreSQL).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, event, insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.core import config
from bot.knowledge.models import KNOWLEDGE_TABLES, RETIRED_TABLES, SCHEMA_VERSION, Base, Meta

# Any constant: the PostgreSQL advisory lock that serialises syncs.
_SYNC_LOCK_KEY = 4_201_126_001


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL per process (engines pool connections and are thread-safe)."""
    return _engine(url or config.kb_database_url())


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, future=True, connect_args={"timeout": 30})

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

    else:
        engine = create_engine(url, future=True, pool_pre_ping=True)
    Base.metadata.create_all(engine)
    _upgrade(engine)
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
    engine = get_engine(url)
    if engine.dialect.name == "postgresql":
        # One snapshot for the whole transaction (READ COMMITTED takes one per statement).
        return engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return engine


@lru_cache(maxsize=8)
def _read_sessions(url: str) -> sessionmaker:
    return sessionmaker(bind=_read_engine(url), future=True, expire_on_commit=False)


def read_session(url: str | None = None) -> Session:
    """A session whose reads all see the same published version of the knowledge."""
    return _read_sessions(url or config.kb_database_url())()


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
