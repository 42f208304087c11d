"""Rasa's SQL tracker store configured by one SQLAlchemy URL (TRACKER_STORE_URL).

Rasa's own SQLTrackerStore takes dialect/host/port/db separately; this subclass accepts any SQLAlchemy
URL (SQLite file by default, PostgreSQL in production) so one environment variable configures it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.engine import make_url

from bot import config


class UrlSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose database is `url` (endpoint `url:`), else TRACKER_STORE_URL, else SQLite."""

    def __init__(self, domain: Any = None, host: str | None = None, url: str | None = None, **kwargs: Any) -> None:
        target = url or host or config.tracker_store_url()
        parsed = make_url(target)
        backend = parsed.get_backend_name()
        if backend == "sqlite" and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.pop("dialect", None)
        # Rasa uses a host that contains "://" as the complete URL.
        super().__init__(domain=domain, dialect=backend, host=str(parsed.render_as_string(hide_password=False)), db=parsed.database or "rasa.db", **kwargs)

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
