"""Blocking work (knowledge reads, language detection) off the action server's event loop.

rasa_sdk runs a synchronous action's `run` on its event loop, so one slow or locked knowledge read held
every other user's action, the emergency answer included. Actions await `off_loop(fn, ...)` instead: `fn`
runs in a pool of ACTION_THREADS threads (SQLite and psycopg2 release the GIL while they wait).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from bot.core import config

T = TypeVar("T")
_pool: ThreadPoolExecutor | None = None


def pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(
            max_workers=config.action_threads(), thread_name_prefix="knowledge"
        )
    return _pool


async def off_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` in the thread pool, awaited without blocking the event loop."""
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(pool(), call)
