"""Rasa's Redis lock store, surviving a Redis outage (endpoint `type: bot.rasa_ext.lock_store.ResilientRedisLockStore`).

Rasa's RedisLockStore serialises the messages of one conversation across Rasa servers. When Redis is down
every message fails in it (the turn is lost: REST 503, the widget's error, WeChat's apology), and with its
synchronous client and 10-second socket timeout a Redis that hangs holds the server's event loop. Here:

* short socket timeouts (REDIS_LOCK_TIMEOUT, default 0.5 s);
* every lock is also kept in this process's memory; when Redis fails, the lock store answers from memory
  (one conversation's messages are still serialised within this server) and leaves Redis alone for
  REDIS_RETRY_AFTER seconds (default 5) before trying again;
* a warning names the outage once per retry period.

What is lost during an outage is only the serialisation of one conversation's messages across servers
(nginx keeps a conversation on one server anyway, deploy/nginx.conf.template); every user is answered.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)


def _seconds(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name) or default)
    except ValueError:
        return default


class ResilientRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # how Rasa creates a lock store named by its module path
            kwargs = {"host": endpoint_config.url, **endpoint_config.kwargs, **kwargs}
        for key in ("port", "db"):
            if kwargs.get(key) in ("", None):
                kwargs.pop(key, None)
        for key in ("password", "key_prefix", "username"):
            if kwargs.get(key) == "":
                kwargs[key] = None
        kwargs.setdefault("socket_timeout", _seconds("REDIS_LOCK_TIMEOUT", 0.5))
        super().__init__(**kwargs)
        # The connect timeout too (Rasa sets only the socket timeout).
        self.red.connection_pool.connection_kwargs["socket_connect_timeout"] = kwargs[
            "socket_timeout"
        ]
        self.memory = InMemoryLockStore()
        self.retry_after = _seconds("REDIS_RETRY_AFTER", 5.0)
        self.down_until = 0.0

    def _redis_ok(self) -> bool:
        return time.monotonic() >= self.down_until

    def _failed(self, exc: Exception) -> None:
        self.down_until = time.monotonic() + self.retry_after
        logger.warning(
            "Redis lock store unavailable (%s: %s); using this server's memory for %.0f s",
            type(exc).__name__,
            exc,
            self.retry_after,
        )

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        if self._redis_ok():
            try:
                return super().get_lock(conversation_id)
            except Exception as exc:  # redis.RedisError and socket errors
                self._failed(exc)
        return self.memory.get_lock(conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        self.memory.save_lock(lock)
        if self._redis_ok():
            try:
                super().save_lock(lock)
            except Exception as exc:
                self._failed(exc)

    def delete_lock(self, conversation_id: str) -> None:
        self.memory.delete_lock(conversation_id)
        if self._redis_ok():
            try:
                super().delete_lock(conversation_id)
            except Exception as exc:
                self._failed(exc)
