"""Replay protection: a timestamp window, and in plain mode a binding of (timestamp, nonce) to one body.

In plain mode the signature covers only token, timestamp and nonce, not the body, so a captured query
string could carry a forged body. WeChat's own retries resend the same body, so a second, different body
under the same (timestamp, nonce) is refused. Encrypted requests are authenticated by msg_signature and
need only the window. WeChat documents no window; 5 minutes is the usual choice.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

DEFAULT_WINDOW_SECONDS = 300
MAX_REMEMBERED = 100_000


class ReplayError(ValueError):
    """An expired, future or replayed request."""


class ReplayGuard:
    def __init__(
        self,
        window: float = DEFAULT_WINDOW_SECONDS,
        clock: Callable[[], float] = time.time,
        max_remembered: int = MAX_REMEMBERED,
    ) -> None:
        self.window = window
        self.clock = clock
        self.max_remembered = max_remembered
        self._seen: OrderedDict[tuple[str, str], tuple[float, bytes]] = OrderedDict()

    def check_timestamp(self, timestamp: str | None) -> int:
        if not timestamp or not timestamp.isdigit() or len(timestamp) > 12:
            raise ReplayError("timestamp missing or not a number")
        value = int(timestamp)
        if abs(self.clock() - value) > self.window:
            raise ReplayError("timestamp outside the accepted window")
        return value

    def check(
        self, timestamp: str | None, nonce: str | None, body_digest: bytes | None = None
    ) -> None:
        """Raise ReplayError unless the request is fresh (and, with a digest, not a body swap)."""
        self.check_timestamp(timestamp)
        if body_digest is None:
            return
        assert timestamp is not None
        now = self.clock()
        self._prune(now)
        key = (timestamp, nonce or "")
        seen = self._seen.get(key)
        if seen is not None and seen[1] != body_digest:
            raise ReplayError("the same timestamp and nonce came with another body")
        if seen is None:
            self._seen[key] = (now, body_digest)

    def _prune(self, now: float) -> None:
        while self._seen:
            key, (when, _) = next(iter(self._seen.items()))
            if now - when <= 2 * self.window and len(self._seen) < self.max_remembered:
                break
            del self._seen[key]
