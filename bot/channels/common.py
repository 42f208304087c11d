"""What every input channel shares: input hygiene, limits, conversation ids and the polite refusals.

One home for the rules a message must pass before it reaches Rasa, whatever channel it came through:

- `clean_text`: control characters and lone surrogates dropped, surrounding whitespace stripped;
- `sender_problem`: a sender id is 1-128 characters from a small safe set (no NUL, no lone surrogate, no
  ':' - the separator of the channel namespaces below);
- `conversation_id`: the id a channel's conversation is stored under. REST conversations keep the client's
  sender id; every other channel stores its conversations under `<channel>:<id>` (`wechat:<OpenID>`,
  `socketio:<session id>`). A REST sender cannot contain ':', so no channel can name, read or write
  another channel's conversation;
- `metadata_problem`: message metadata (and the widget's `customData`) is a JSON object of at most
  `MAX_METADATA_BYTES` bytes and `MAX_METADATA_DEPTH` levels;
- `too_long_reply`, `RateLimiter`/`rate_limited_reply`: the polite answers for a message that is too long
  and for a sender who sends faster than `RATE_LIMIT_PER_MINUTE`.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections import OrderedDict, deque
from typing import Any, TypeGuard

from rasa.core.channels.channel import CollectingOutputChannel

from bot.core import hotlines
from bot.dialogue import i18n
from bot.dialogue.language import answer_language, detect_language

__all__ = [
    "MAX_MESSAGE_CHARS",
    "MAX_METADATA_BYTES",
    "MAX_METADATA_DEPTH",
    "MAX_SENDER_CHARS",
    "RATE_LIMIT_ENV",
    "RateLimiter",
    "clean_text",
    "conversation_id",
    "metadata_problem",
    "sender_problem",
]

MAX_MESSAGE_CHARS = 2000
MAX_SENDER_CHARS = 128
MAX_METADATA_BYTES = 8192
MAX_METADATA_DEPTH = 6
# Request bodies: a message is at most 2,000 characters plus 8 KB of metadata, but a text pasted by mistake
# should still get the polite "too long" reply rather than an error: 256 KB. WeChat's XML cap (64 KB, its
# own messages are at most 2,048 bytes) lives in wechat/xmlcodec.py.
MAX_REST_BODY_BYTES = 256 * 1024
MAX_SOCKETIO_PACKET_BYTES = 256 * 1024
RATE_LIMIT_ENV = "RATE_LIMIT_PER_MINUTE"
DEFAULT_RATE_LIMIT_PER_MINUTE = 30

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
SENDER_ID = re.compile(r"[A-Za-z0-9._@+=-]{1,128}")
NAMESPACE_SEPARATOR = ":"
# Channels whose conversations are stored under "<channel>:<id>"; REST keeps the bare sender id.
NAMESPACED_CHANNELS = frozenset({"wechat", "socketio"})


def clean_text(text: str) -> str:
    """Drop control characters (keeping newlines and tabs), lone surrogates and surrounding whitespace."""
    return _SURROGATE.sub("", _CONTROL.sub("", text)).strip()


def shorten(value: Any, limit: int = 60) -> str:
    """`value` as text for a log line or an error message, never longer than about `limit` characters."""
    text = value if isinstance(value, str) else repr(value)
    text = _SURROGATE.sub("\ufffd", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sender_problem(sender: Any) -> str | None:
    """Why `sender` cannot be a sender id (None when it can).

    Letters, digits and `._@+=-`, 1 to 128 characters: enough for user names, e-mail addresses, UUIDs and
    numbers, and nothing a database could refuse (NUL, lone surrogates) or mistake for a channel namespace.
    """
    if isinstance(sender, bool) or not isinstance(sender, str | int):
        return '"sender" must be a string'
    if not SENDER_ID.fullmatch(str(sender)):
        return (
            f'"sender" must be 1 to {MAX_SENDER_CHARS} characters from A-Z a-z 0-9 and . _ @ + = -'
        )
    return None


def conversation_id(channel: str, sender: str) -> str:
    """The id the conversation of `sender` on `channel` is stored under (see the module docstring)."""
    if channel in NAMESPACED_CHANNELS:
        return f"{channel}{NAMESPACE_SEPARATOR}{sender}"
    return sender


def channel_sender(channel: str, conversation: str) -> str:
    """The channel's own id back from a stored conversation id (inverse of `conversation_id`)."""
    prefix = f"{channel}{NAMESPACE_SEPARATOR}"
    return conversation.removeprefix(prefix) if channel in NAMESPACED_CHANNELS else conversation


def metadata_problem(metadata: Any) -> str | None:
    """Why `metadata` cannot be stored with a message (None when it can): an object, small, shallow.

    The depth is checked first, without recursion, so that JSON nested thousands deep cannot overflow
    the stack of the size check that follows.
    """
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        return '"metadata" must be a JSON object'
    stack: list[tuple[Any, int]] = [(metadata, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_METADATA_DEPTH:
            return f'"metadata" must be nested at most {MAX_METADATA_DEPTH} levels deep'
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    try:
        size = len(json.dumps(metadata, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    except (TypeError, ValueError):
        return '"metadata" must be plain JSON'
    if size > MAX_METADATA_BYTES:
        return f'"metadata" must be at most {MAX_METADATA_BYTES} bytes of JSON'
    return None


def reply_language(text: str, hint: Any = None) -> str:
    """The language to answer a refused message in: the client's hint when it names one, else detected."""
    if isinstance(hint, str) and hint:
        return answer_language(hint)
    return answer_language(detect_language(text[:500]))


def too_long_reply(text: str, lang: str) -> str:
    """The polite answer to a message over MAX_MESSAGE_CHARS."""
    return str(i18n.text("too_long", lang)).format(n=len(text), limit=MAX_MESSAGE_CHARS)


def rate_limited_reply(lang: str) -> str:
    """The polite answer to a sender over the rate limit."""
    return str(i18n.text("rate_limited", lang)).format(**hotlines.NUMBERS)


def rate_limit_per_minute() -> int:
    """RATE_LIMIT_PER_MINUTE (default 30); 0 turns the per-sender limit off."""
    raw = os.environ.get(RATE_LIMIT_ENV, "").strip()
    if not raw:
        return DEFAULT_RATE_LIMIT_PER_MINUTE
    try:
        return max(0, int(raw))
    except ValueError:
        return DEFAULT_RATE_LIMIT_PER_MINUTE


class RateLimiter:
    """At most `per_minute` messages per conversation in any 60 seconds (sliding window), per process.

    Memory is bounded: at most `max_senders` conversations are tracked (least recently seen dropped first).
    Behind several Rasa servers each replica counts its own share; nginx's `limit_req` (deploy/) bounds
    each client address across all of them.
    """

    WINDOW_SECONDS = 60.0

    def __init__(self, per_minute: int | None = None, max_senders: int = 100_000) -> None:
        self.per_minute = rate_limit_per_minute() if per_minute is None else per_minute
        self.max_senders = max_senders
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Count one message of `key`; False when it is over the limit (then it is not counted)."""
        if self.per_minute <= 0:
            return True
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._seen.pop(key, None) or deque()
            while times and now - times[0] >= self.WINDOW_SECONDS:
                times.popleft()
            allowed = len(times) < self.per_minute
            if allowed:
                times.append(now)
            self._seen[key] = times
            while len(self._seen) > self.max_senders:
                self._seen.popitem(last=False)
            return allowed


def is_card(value: Any) -> TypeGuard[dict[str, Any]]:
    """A custom payload of the assistant's reply model (bot/dialogue/cards.py)."""
    return isinstance(value, dict) and isinstance(value.get("type"), str) and "version" in value


class CardCollectingOutputChannel(CollectingOutputChannel):
    """Rasa's collecting output (REST, WeChat), but a reply with a card stays one message: its text,
    buttons and card (`custom`) together, where Rasa would store the card as a message of its own."""

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        if is_card(message.get("custom")) and message.get("text"):
            await self._persist_message(
                self._message(
                    recipient_id,
                    text=message["text"],
                    buttons=message.get("buttons") or None,
                    custom=message["custom"],
                )
            )
            return
        await super().send_response(recipient_id, message)
