"""A throw-away PostgreSQL database on the loopback server, for tests about PostgreSQL.

TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres) is the server's admin URL; each
database gets a unique name and is dropped afterwards, even when connections are still open.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def throwaway_database(prefix: str = "assistant_test") -> Iterator[str]:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - say clearly what is missing
        admin.dispose()
        pytest.fail(f"PostgreSQL is not reachable at {ADMIN_URL} ({exc}); start it or set TEST_POSTGRES_URL")
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        from bot.kb import db

        db.get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
