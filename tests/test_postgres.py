"""The knowledge base and the conversation store on a real PostgreSQL server (loopback).

Uses TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres) to create a throw-away
database for this run and drops it afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.kb import queries
from bot.kb.loader import KnowledgeError, sync

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    name = f"assistant_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - say clearly what is missing
        pytest.fail(f"PostgreSQL is not reachable at {ADMIN_URL} ({exc}); start it or set TEST_POSTGRES_URL")
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    from bot.kb import db

    db.get_engine(url).dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_sync_and_query_on_postgres(pg_url: str, knowledge_copy: Path) -> None:
    knowledge = sync(knowledge_copy, pg_url)
    assert knowledge.count() > 50
    places = queries.find_service_points(queries.service_codes("residence_permit"), district="chaoyang", url=pg_url)
    assert places[0].record["id"] == "chaoyang_exit_entry_hall"
    assert queries.find_schools("ib", "shunyi", url=pg_url)


def test_refused_sync_keeps_postgres_content(pg_url: str, knowledge_copy: Path) -> None:
    sync(knowledge_copy, pg_url)
    before = len(queries.find_service_points(limit=None, url=pg_url))
    (knowledge_copy / "service_points.yml").write_text("service_points:\n  - id: broken\n", encoding="utf-8")
    with pytest.raises(KnowledgeError):
        sync(knowledge_copy, pg_url)
    assert len(queries.find_service_points(limit=None, url=pg_url)) == before


def test_tracker_store_on_postgres(pg_url: str) -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.tracker_store import UrlSQLTrackerStore

    domain = Domain.load(str(Path(__file__).resolve().parent.parent / "domain.yml"))
    store = UrlSQLTrackerStore(domain=domain, url=pg_url)
    tracker = DialogueStateTracker("pg-user", domain.slots)
    tracker.update(UserUttered("hello from postgres"))

    import asyncio

    asyncio.run(store.save(tracker))
    again = asyncio.run(UrlSQLTrackerStore(domain=domain, url=pg_url).retrieve("pg-user"))
    assert again is not None
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["hello from postgres"]
    store.engine.dispose()
