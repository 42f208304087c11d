"""Forgetting a user who unfollowed: WeChat requires deleting everything stored about them."""

from __future__ import annotations

import logging
from typing import Any

from bot.channels.wechat.delivery import user_ref
from bot.rasa_ext.tracker_store import delete_conversation, innermost

logger = logging.getLogger(__name__)


async def purge_conversation(agent: Any, user: str) -> bool:
    """Delete the user's conversation from Rasa's tracker store; True when done.

    Holds the conversation's lock, so a turn of this user still in progress finishes first and cannot
    write events after the purge.
    """
    store = innermost(getattr(agent, "tracker_store", None))
    if store is None:
        logger.warning("no tracker store to purge WeChat user %s from", user_ref(user))
        return False
    lock_store = getattr(agent, "lock_store", None)
    try:
        if lock_store is not None:
            async with lock_store.lock(user):
                deleted = await delete_conversation(store, user)
        else:
            deleted = await delete_conversation(store, user)
    except Exception:
        logger.exception("could not purge WeChat user %s", user_ref(user))
        return False
    logger.info("unsubscribed WeChat user %s purged (%s events)", user_ref(user), deleted)
    return True
