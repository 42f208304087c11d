"""What the channel remembers about a user between messages (briefly, and forgotten on unsubscribe): the
numbered options last shown, the last reported location, a language hint.

This process keeps it in memory; `export`/`load` move one user's memory to and from the shared state store
(bot/channels/wechat/state.py), so it survives a restart and is shared by replicas. Times are wall-clock
times for that reason."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.channels.wechat.render import Option

OPTIONS_TTL = 3600.0
# WeChat reports the location when the user enters the chat (or every 5 s if enabled); a report is
# used for "nearest" questions for this long.
LOCATION_TTL = 1800.0
MAX_USERS = 100_000


@dataclass
class _Memory:
    options: list[Option] = field(default_factory=list)
    options_at: float = 0.0
    location: tuple[float, float] | None = None
    location_at: float = 0.0
    language: str | None = None


class UserMemory:
    def __init__(self, clock: Callable[[], float] = time.time, max_users: int = MAX_USERS) -> None:
        self.clock = clock
        self.max_users = max_users
        self._users: OrderedDict[str, _Memory] = OrderedDict()

    def _get(self, user: str) -> _Memory:
        memory = self._users.get(user)
        if memory is None:
            memory = self._users[user] = _Memory()
            while len(self._users) > self.max_users:
                self._users.popitem(last=False)
        self._users.move_to_end(user)
        return memory

    def __contains__(self, user: str) -> bool:
        return user in self._users

    def set_options(self, user: str, options: list[Option]) -> None:
        if not options and user not in self._users:
            return
        memory = self._get(user)
        memory.options, memory.options_at = list(options), self.clock()

    def options(self, user: str) -> list[Option]:
        memory = self._users.get(user)
        if memory is None or self.clock() - memory.options_at > OPTIONS_TTL:
            return []
        return memory.options

    def set_location(self, user: str, lat: float, lon: float) -> None:
        memory = self._get(user)
        memory.location, memory.location_at = (lat, lon), self.clock()

    def location(self, user: str) -> tuple[float, float] | None:
        memory = self._users.get(user)
        if (
            memory is None
            or memory.location is None
            or self.clock() - memory.location_at > LOCATION_TTL
        ):
            return None
        return memory.location

    def set_language(self, user: str, lang: str) -> None:
        self._get(user).language = lang

    def language(self, user: str) -> str | None:
        memory = self._users.get(user)
        return memory.language if memory else None

    def forget(self, user: str) -> None:
        self._users.pop(user, None)

    def export(self, user: str) -> dict[str, Any] | None:
        """One user's memory as JSON-able data (None when there is nothing)."""
        memory = self._users.get(user)
        if memory is None:
            return None
        return {
            "options": [[o.title, o.payload] for o in memory.options],
            "options_at": memory.options_at,
            "location": list(memory.location) if memory.location else None,
            "location_at": memory.location_at,
            "language": memory.language,
        }

    def load(self, user: str, data: Any) -> None:
        """Replace one user's memory with exported data (ignored when malformed)."""
        if not isinstance(data, dict):
            return
        try:
            options = [Option(str(t), str(p)) for t, p in data.get("options") or []]
            location = data.get("location")
            memory = _Memory(
                options=options,
                options_at=float(data.get("options_at") or 0.0),
                location=(float(location[0]), float(location[1])) if location else None,
                location_at=float(data.get("location_at") or 0.0),
                language=str(data["language"]) if data.get("language") else None,
            )
        except (TypeError, ValueError, IndexError):
            return
        self._get(user)
        self._users[user] = memory
