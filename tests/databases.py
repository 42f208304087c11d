"""Throw-away PostgreSQL databases and Redis key prefixes on the shared loopback servers.

TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres) is where databases are created;
TEST_REDIS_URL (default redis://127.0.0.1:6379/1) the Redis database whose keys get a unique prefix.
Everything made here is removed afterwards, even when the test failed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")


@contextmanager
def throwaway_postgres(prefix: str = "assistant_test") -> Iterator[str]:
    """URL of a new, empty database; dropped afterwards (WITH FORCE: servers may still hold connections)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - say clearly what is missing
        admin.dispose()
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} ({exc}); start it or set TEST_POSTGRES_URL"
        )
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass(frozen=True)
class RedisPrefix:
    host: str
    port: int
    db: int
    prefix: str  # letters and digits only: Rasa's lock store ignores any other prefix

    def env(self) -> dict[str, str]:
        """What deploy/endpoints.yml reads for the lock store."""
        return {
            "REDIS_HOST": self.host,
            "REDIS_PORT": str(self.port),
            "REDIS_DB": str(self.db),
            "REDIS_PASSWORD": "",
            "LOCK_STORE_KEY_PREFIX": self.prefix,
        }

    def client(self):  # type: ignore[no-untyped-def]
        import redis

        return redis.Redis(host=self.host, port=self.port, db=self.db, socket_timeout=10)

    def stored_keys(self) -> list[bytes]:
        client = self.client()
        try:
            return list(client.scan_iter(match=f"{self.prefix}:*"))
        finally:
            client.close()


@contextmanager
def throwaway_redis_prefix(prefix: str = "assistanttest") -> Iterator[RedisPrefix]:
    """A key prefix nobody else uses in TEST_REDIS_URL's database; its keys are deleted afterwards."""
    import redis

    url = urlsplit(REDIS_URL)
    db = int(url.path.strip("/") or 0)
    target = RedisPrefix(
        url.hostname or "127.0.0.1", url.port or 6379, db, f"{prefix}{uuid.uuid4().hex[:10]}"
    )
    client = target.client()
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        pytest.fail(
            f"Redis is not reachable at {REDIS_URL} ({exc}); start it or set TEST_REDIS_URL"
        )
    try:
        yield target
    finally:
        for key in target.stored_keys():
            client.delete(key)
        client.close()
