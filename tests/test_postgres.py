"""The knowledge base and the conversation store on a real PostgreSQL server (loopback).

Uses a throw-away database on TEST_POSTGRES_URL (see tests/databases.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from databases import throwaway_postgres

from bot.knowledge import queries
from bot.knowledge.loader import KnowledgeError, sync


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with throwaway_postgres() as url:
        yield url


def test_sync_and_query_on_postgres(pg_url: str, knowledge_copy: Path) -> None:
    knowledge = sync(knowledge_copy, pg_url).knowledge
    assert knowledge.count() > 50
    places = queries.find_service_points(
        queries.service_codes("residence_permit"), district="chaoyang", url=pg_url
    )
    assert places[0].record["id"] == "chaoyang_exit_entry_hall"
    assert queries.find_schools("ib", "shunyi", url=pg_url)


def test_refused_sync_keeps_postgres_content(pg_url: str, knowledge_copy: Path) -> None:
    sync(knowledge_copy, pg_url)
    before = len(queries.find_service_points(limit=None, url=pg_url))
    (knowledge_copy / "service_points.yml").write_text(
        "service_points:\n  - id: broken\n", encoding="utf-8"
    )
    with pytest.raises(KnowledgeError):
        sync(knowledge_copy, pg_url)
    assert len(queries.find_service_points(limit=None, url=pg_url)) == before


def test_tracker_store_on_postgres(pg_url: str) -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_ext.tracker_store import UrlSQLTrackerStore

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
