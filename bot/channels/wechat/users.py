"""What the channel remembers about a user between messages (in this process, briefly, and forgotten on
unsubscribe): the numbered options last shown, the last reported location, a language hint."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

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
    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_users: int = MAX_USERS
    ) -> None:
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
