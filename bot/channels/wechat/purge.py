"""Forgetting a user who unfollowed: WeChat requires deleting everything stored about them."""

from __future__ import annotations

import logging
from typing import Any

from bot.channels.wechat.delivery import user_ref

logger = logging.getLogger(__name__)


def _innermost(store: Any) -> Any:
    """The tracker store under Rasa's wrappers (FailSafeTrackerStore, AwaitableTrackerStore)."""
    for _ in range(5):
        if not hasattr(store, "_tracker_store"):
            break
        store = store._tracker_store
    return store


async def _delete(store: Any, user: str) -> int | None:
    if hasattr(store, "delete_sender"):
        return await store.delete_sender(user)
    if isinstance(getattr(store, "store", None), dict):  # InMemoryTrackerStore
        store.store.pop(user, None)
        return None
    logger.warning("tracker store %s cannot delete conversations", type(store).__name__)
    return None


async def purge_conversation(agent: Any, user: str) -> bool:
    """Delete the user's conversation from Rasa's tracker store; True when done.

    Holds the conversation's lock, so a turn of this user still in progress finishes first and cannot
    write events after the purge.
    """
    store = _innermost(getattr(agent, "tracker_store", None))
    if store is None:
        logger.warning("no tracker store to purge WeChat user %s from", user_ref(user))
        return False
    lock_store = getattr(agent, "lock_store", None)
    try:
        if lock_store is not None:
            async with lock_store.lock(user):
                deleted = await _delete(store, user)
        else:
            deleted = await _delete(store, user)
    except Exception:
        logger.exception("could not purge WeChat user %s", user_ref(user))
        return False
    logger.info("unsubscribed WeChat user %s purged (%s events)", user_ref(user), deleted)
    return True
