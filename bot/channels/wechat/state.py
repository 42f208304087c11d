"""Where the WeChat channel keeps what it remembers between messages, so a restart or a second replica
does not forget it (issue 17): Redis when REDIS_URL is set, else a SQLite file under var/ (survives a
restart of a single server).

What is kept, per user, as one small JSON document: the numbered options last shown (so "1" or "work"
still answers "1. Work 2. Study ..." after a restart), the last location, the language hint and the
customer-service window; and, per (user, MsgId), the finished outcome of a message for WeChat's late
retries. Every entry expires (`ttl`). The store is never essential: when it fails (Redis down) the channel
logs it and carries on with what this process remembers, so users are still answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any, Protocol

from bot.core import config

logger = logging.getLogger(__name__)

DEFAULT_PREFIX = "beijing-assistant:wechat:"
# Redis calls give up quickly: a dead Redis must not hold a WeChat turn (5-second rule).
REDIS_TIMEOUT = 0.5


class StateStore(Protocol):
    async def get(self, key: str) -> Any | None: ...

    async def set(self, key: str, value: Any, ttl: float) -> None: ...

    async def delete(self, *keys: str) -> None: ...

    async def close(self) -> None: ...


class RedisState:
    """JSON values in Redis under `prefix`, each with its expiry (SET ... EX)."""

    def __init__(self, url: str, prefix: str = DEFAULT_PREFIX) -> None:
        from redis import asyncio as aioredis

        self.prefix = prefix
        self.redis = aioredis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )

    async def get(self, key: str) -> Any | None:
        raw = await self.redis.get(self.prefix + key)
        return json.loads(raw) if raw is not None else None

    async def set(self, key: str, value: Any, ttl: float) -> None:
        await self.redis.set(
            self.prefix + key, json.dumps(value, ensure_ascii=False), ex=max(1, int(ttl))
        )

    async def delete(self, *keys: str) -> None:
        if keys:
            await self.redis.delete(*(self.prefix + k for k in keys))

    async def close(self) -> None:
        await self.redis.close()


class SqliteState:
    """JSON values in a SQLite file (one table, expired rows dropped as they are met and at start)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL NOT NULL)"
            )
            conn.execute("DELETE FROM state WHERE expires < ?", (time.time(),))

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=1.0)

    def _get(self, key: str) -> Any | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT value FROM state WHERE key = ? AND expires >= ?", (key, time.time())
            ).fetchone()
        return json.loads(row[0]) if row else None

    def _set(self, key: str, value: Any, ttl: float) -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO state (key, value, expires) VALUES (?, ?, ?)",
                (key, json.dumps(value, ensure_ascii=False), time.time() + ttl),
            )

    def _delete(self, keys: tuple[str, ...]) -> None:
        with self._connect() as conn:
            conn.executemany("DELETE FROM state WHERE key = ?", [(k,) for k in keys])

    # A small file on local disk, but still off the event loop.
    async def get(self, key: str) -> Any | None:
        return await asyncio.to_thread(self._get, key)

    async def set(self, key: str, value: Any, ttl: float) -> None:
        await asyncio.to_thread(self._set, key, value, ttl)

    async def delete(self, *keys: str) -> None:
        await asyncio.to_thread(self._delete, keys)

    async def close(self) -> None:
        return None


def from_env() -> StateStore:
    """Redis when REDIS_URL is set (keys under WECHAT_STATE_PREFIX), else var/wechat_state.db."""
    import os

    url = config.redis_url()
    if url:
        return RedisState(url, os.environ.get("WECHAT_STATE_PREFIX") or DEFAULT_PREFIX)
    return SqliteState(config.var_dir() / "wechat_state.db")


class SafeState:
    """A StateStore whose failures are logged and survived: reads give None, writes are skipped."""

    def __init__(self, store: StateStore) -> None:
        self.store = store
        self._warned = 0.0

    def _failed(self, what: str, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned > 60:  # once a minute, not once per message
            self._warned = now
            logger.warning(
                "WeChat state store unavailable (%s: %s); using this process's memory",
                what,
                type(exc).__name__,
            )

    async def get(self, key: str) -> Any | None:
        try:
            return await self.store.get(key)
        except Exception as exc:
            self._failed("read", exc)
            return None

    async def set(self, key: str, value: Any, ttl: float) -> None:
        try:
            await self.store.set(key, value, ttl)
        except Exception as exc:
            self._failed("write", exc)

    async def delete(self, *keys: str) -> None:
        try:
            await self.store.delete(*keys)
        except Exception as exc:
            self._failed("delete", exc)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.store.close()
