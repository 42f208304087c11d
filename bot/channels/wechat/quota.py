"""The customer-service window: how many messages a user may still receive through the API.

WeChat's rule (since 2023): after a user sends a message the account may send 5 customer-service messages
within 48 hours; after a menu click, a follow or a QR scan, 3 within a minute. Counting here keeps a turn
within what is left (its messages are merged to fit); WeChat stays the judge, and its 45015/45047
answers close the window here too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MESSAGE_WINDOW = (5, 48 * 3600.0)
EVENT_WINDOW = (3, 60.0)


@dataclass
class _Allowance:
    left: int
    until: float


class SendQuota:
    """Open windows per user and kind of interaction; a send counts against every open window (the
    conservative reading: it never promises more than any one rule allows)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._users: dict[str, dict[tuple[int, float], _Allowance]] = {}

    def _open(self, user: str) -> list[_Allowance]:
        now = self.clock()
        return [a for a in self._users.get(user, {}).values() if now <= a.until]

    def grant(self, user: str, window: tuple[int, float] = MESSAGE_WINDOW) -> None:
        """A new interaction opens (or reopens) the window of its kind."""
        limit, seconds = window
        self._users.setdefault(user, {})[window] = _Allowance(limit, self.clock() + seconds)

    def remaining(self, user: str) -> int:
        return max((a.left for a in self._open(user)), default=0)

    def use(self, user: str, n: int = 1) -> None:
        for allowance in self._open(user):
            allowance.left = max(0, allowance.left - n)

    def close(self, user: str) -> None:
        """WeChat said the window is closed or used up."""
        for allowance in self._users.get(user, {}).values():
            allowance.left = 0

    def forget(self, user: str) -> None:
        self._users.pop(user, None)

    def export(self, user: str) -> list[list[float]] | None:
        """One user's open windows as [[limit, seconds, left, until], ...] (wall-clock `until`)."""
        windows = self._users.get(user)
        if not windows:
            return None
        return [
            [w[0], w[1], a.left, a.until] for w, a in windows.items() if self.clock() <= a.until
        ]

    def load(self, user: str, data: Any) -> None:
        """Replace one user's windows with exported data (ignored when malformed)."""
        if not isinstance(data, list):
            return
        try:
            self._users[user] = {
                (int(limit), float(seconds)): _Allowance(int(left), float(until))
                for limit, seconds, left, until in data
            }
        except (TypeError, ValueError):
            return
