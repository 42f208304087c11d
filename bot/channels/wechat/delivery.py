"""Delivery through the customer-service message API, within the user's window.

Used for everything a passive reply cannot carry: the answer of a turn that missed the 5-second window,
and the parts after the first of a long answer. The parts arrive merged as tightly as 2048 bytes allow;
if the window has fewer messages left the answer is shortened (and says so). 45015/45047 close the
window; every error is logged once and never retried in a loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable
from typing import Any, Protocol

from bot.channels.wechat import texts
from bot.channels.wechat.api import QUOTA_EXCEEDED, WINDOW_CLOSED, ApiResult
from bot.channels.wechat.quota import SendQuota
from bot.channels.wechat.render import fit

logger = logging.getLogger(__name__)


def user_ref(openid: str) -> str:
    """A short, non-reversible reference to a user for log lines (OpenIDs are personal data)."""
    return hashlib.sha256(openid.encode("utf-8")).hexdigest()[:10]


class TextSender(Protocol):
    async def send_text(self, openid: str, content: str) -> ApiResult: ...


class CustomerService:
    def __init__(self, quota: SendQuota) -> None:
        self.quota = quota
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Awaitable[Any]) -> None:
        """Run in the background, keeping a reference so the task is not garbage-collected mid-way."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def deliver(
        self, api: TextSender, user: str, parts: list[str], lang: str | None, delay: float = 0.0
    ) -> int:
        """Send `parts` to `user`; returns how many were delivered."""
        if delay:
            await asyncio.sleep(delay)
        allowed = self.quota.remaining(user)
        sendable = fit(parts, allowed, texts.text("shortened", lang))
        if len(sendable) < len(parts) or not sendable:
            logger.warning(
                "WeChat user %s: %d part(s) to send, %d allowed by the customer-service window",
                user_ref(user),
                len(parts),
                allowed,
            )
        delivered = 0
        for part in sendable:
            result = await api.send_text(user, part)
            if result.ok:
                self.quota.use(user)
                delivered += 1
                continue
            if result.errcode in (WINDOW_CLOSED, QUOTA_EXCEEDED):
                self.quota.close(user)
            logger.warning(
                "WeChat customer-service message to user %s not sent: %s",
                user_ref(user),
                result.describe(),
            )
            break
        return delivered
