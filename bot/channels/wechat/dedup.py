"""Process each WeChat message once, however its retries interleave, and give every retry the same outcome.

WeChat resends a message up to three times when it has no answer within 5 seconds, and a retry can arrive
while the first attempt is still running. The first request for a key starts the work as a task of its
own (so a dropped connection cannot cancel it); every request for that key, first or retry, awaits the
same future and so gets the same outcome. Keys are message ids (or sender + time for events); entries are
kept for a while after they finish so late retries still find them, and can be dropped per user.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
logger = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 600.0
MAX_ENTRIES = 50_000


@dataclass
class _Entry(Generic[T]):
    owner: str
    created: float
    task: asyncio.Task[T]
    hits: int = field(default=1)


class Deduplicator(Generic[T]):
    def __init__(
        self, ttl: float = DEFAULT_TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self._entries: OrderedDict[str, _Entry[T]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def outcome(self, key: str, owner: str, work: Callable[[], Awaitable[T]]) -> Awaitable[T]:
        """The outcome of `key`: runs `work()` for the first request only; retries share its result.

        There is no await between the lookup and the insertion, so two requests on the event loop can
        never both start the work.
        """
        self._prune()
        entry = self._entries.get(key)
        if entry is None:
            entry = _Entry(owner, self.clock(), asyncio.ensure_future(work()))
            self._entries[key] = entry
        else:
            entry.hits += 1
            logger.info("WeChat retry #%d of a message already being handled", entry.hits - 1)
        # shield: a retry whose connection drops must not cancel the work the others wait for.
        return asyncio.shield(entry.task)

    def __contains__(self, key: str) -> bool:
        """Whether this process is handling, or has recently handled, `key`."""
        return key in self._entries

    def hits(self, key: str) -> int:
        entry = self._entries.get(key)
        return entry.hits if entry else 0

    def forget_owner(self, owner: str, keep: str | None = None) -> int:
        """Drop the finished entries of one user (their keys contain the OpenID); returns how many."""
        drop = [
            k for k, e in self._entries.items() if e.owner == owner and k != keep and e.task.done()
        ]
        for key in drop:
            del self._entries[key]
        return len(drop)

    def _prune(self) -> None:
        now = self.clock()
        while self._entries:
            key, entry = next(iter(self._entries.items()))
            expired = now - entry.created > self.ttl and entry.task.done()
            if not expired and len(self._entries) < MAX_ENTRIES:
                break
            if not entry.task.done():  # over capacity with everything in flight: keep it
                break
            del self._entries[key]
