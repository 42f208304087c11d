"""The access_token cache: one fetch per expiry for the whole process, refreshed when WeChat says it is stale.

WeChat's classic /cgi-bin/token invalidates the previous token on every fetch, so fetching per message (or
per channel instance) makes concurrent senders invalidate each other. Here a single cache per (API base,
appid) lives for the process; a lock makes concurrent callers wait for one fetch instead of stampeding,
and `invalidate` only drops the token that actually failed, so many requests failing with the same stale
token cause one refresh, not many.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

# Refresh this long before WeChat's expiry (wechatpy uses 60 s too).
EXPIRY_MARGIN_SECONDS = 60.0

Fetch = Callable[[], Awaitable[tuple[str, int]]]


class AccessTokenCache:
    def __init__(
        self,
        fetch: Fetch,
        clock: Callable[[], float] = time.monotonic,
        margin: float = EXPIRY_MARGIN_SECONDS,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._margin = margin
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock: asyncio.Lock | None = None
        self.fetches = 0

    def _valid(self) -> bool:
        return self._token is not None and self._clock() < self._expires_at

    async def get(self) -> str:
        """A valid token, fetching one only when there is none or it is about to expire."""
        if self._valid():
            assert self._token is not None
            return self._token
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self._valid():  # another caller may have fetched while we waited
                token, expires_in = await self._fetch()
                self.fetches += 1
                self._token = token
                lifetime = max(float(expires_in) - self._margin, min(float(expires_in), 1.0))
                self._expires_at = self._clock() + lifetime
            assert self._token is not None
            return self._token

    def invalidate(self, stale: str) -> None:
        """Forget `stale` (WeChat answered 40001/40014/42001 for it); a newer token is kept."""
        if self._token == stale:
            self._token = None
            self._expires_at = 0.0


_SHARED: dict[tuple[str, str], AccessTokenCache] = {}


def shared_cache(api_base: str, appid: str, fetch: Fetch) -> AccessTokenCache:
    """The process-wide cache of one Official Account (the first caller's `fetch` is used)."""
    key = (api_base, appid)
    if key not in _SHARED:
        _SHARED[key] = AccessTokenCache(fetch)
    return _SHARED[key]
