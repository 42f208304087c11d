"""The knowledge reads' SQLite connections: kept between read sessions, closed once idle."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.knowledge import db


def _exclusive_lock_now(path: Path) -> bool:
    """Whether another connection can take an exclusive lock on the file at once (as the locked-database
    fault test's holder does), i.e. no connection holds the database open."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("UPDATE kb_meta SET value = value")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


def _dbapi_connection(session: object) -> object:
    return session.connection().connection.dbapi_connection  # type: ignore[attr-defined]


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    path = tmp_path / "kb.db"
    db._read_engine(f"sqlite:///{path}")  # creates the schema
    return path


def test_read_sessions_reuse_a_connection_and_close_it_when_idle(kb: Path) -> None:
    url = f"sqlite:///{kb}"
    with db.read_session(url) as session:
        first = _dbapi_connection(session)
    with db.read_session(url) as session:
        assert _dbapi_connection(session) is first  # kept for the next read session
    assert not _exclusive_lock_now(kb)  # ... so for now the file is held open
    time.sleep(db.IdleClosingPool.IDLE_SECONDS * 3)
    assert _exclusive_lock_now(kb)  # closed once idle: another process can lock the file
    with db.read_session(url) as session:  # and the next read opens a new one
        assert session.execute(text("SELECT count(*) FROM kb_meta")).scalar() >= 1


def test_a_kept_connection_sees_what_was_written_since(kb: Path) -> None:
    """Each read session begins its own transaction: a sync committed between two reads is seen."""
    url = f"sqlite:///{kb}"
    query = text("SELECT value FROM kb_meta WHERE key = 'probe'")
    with db.read_session(url) as session:
        assert session.execute(query).scalar() is None
        kept = _dbapi_connection(session)
    writer = sqlite3.connect(kb)
    writer.execute("INSERT INTO kb_meta (key, value) VALUES ('probe', 'written')")
    writer.commit()
    writer.close()
    with db.read_session(url) as session:
        assert _dbapi_connection(session) is kept
        assert session.execute(query).scalar() == "written"


def test_concurrent_read_sessions_get_their_own_connections(kb: Path) -> None:
    url = f"sqlite:///{kb}"
    inside = threading.Barrier(4)
    seen: list[object] = []

    def read() -> None:
        with db.read_session(url) as session:
            seen.append(_dbapi_connection(session))
            session.execute(text("SELECT 1")).scalar()
            inside.wait(10)  # all four sessions open at once

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len({id(c) for c in seen}) == 4
    time.sleep(db.IdleClosingPool.IDLE_SECONDS * 3)
    assert _exclusive_lock_now(kb)
