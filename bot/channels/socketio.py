"""Rasa's Socket.IO channel for the website widget, with an origin allowlist and a few safeguards.

Rasa 3.6's stock `socketio` channel creates its server with `cors_allowed_origins=[]`, which makes
python-engineio skip the Origin check entirely: any website could open a socket to the assistant. This
subclass keeps the same URL (`/socket.io`), events (`session_request`/`session_confirm`, `user_uttered`/
`bot_uttered`) and credentials keys, and adds:

- an Origin allowlist: `WIDGET_ALLOWED_ORIGINS` (comma-separated, e.g. `https://www.example.gov.cn`), else the
  `allowed_origins` credentials key, else the assistant's own loopback origins on the port the request arrived
  on (`http://127.0.0.1:PORT`, `http://localhost:PORT`, `http://[::1]:PORT`). A browser connection from any
  other page is refused during the Engine.IO handshake (HTTP 400), for polling and WebSocket alike;
- session ids that must look like the server-issued ones (32 hex digits, uuid4); anything else gets a new id;
- messages only for a session this socket joined with `session_request`; text cleaned and length-limited like
  the REST channel; malformed events are ignored instead of raising;
- `bot_typing` ({"typing": true|false}) around each turn so the widget can show a typing indicator, and
  `bot_error` when the turn failed;
- `user_echo` to the session's other tabs, so two tabs of one conversation stay in step;
- with REDIS_URL set, python-socketio's Redis manager: the Rasa servers share rooms and emits, so a widget
  user whose socket reconnects to another replica is still reached in their conversation's room, and a
  reply or echo emitted by one server reaches the conversation's tabs on every server. A Redis outage
  only loses the cross-server part: python-socketio delivers to this server's sockets first;
- `history_request` ({"session_id"}) answered (Socket.IO acknowledgement) with the conversation so far in the
  `bot_uttered` shapes, read from the tracker store: the widget shows it after a reload or a page change.
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import rasa.core.channels.channel
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from rasa.shared.core.trackers import EventVerbosity
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer
from socketio import packet as sio_packet

from bot.channels import common
from bot.channels.common import MAX_MESSAGE_CHARS, clean_text
from bot.core import config

logger = logging.getLogger(__name__)

ORIGINS_ENV = "WIDGET_ALLOWED_ORIGINS"
SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_HISTORY_MESSAGES = 200
MAX_DISPLAY_CHARS = 200


def normalise_origin(origin: str) -> str:
    """'HTTP://Example.org:443/' -> 'http://example.org:443' (scheme and host are case-insensitive)."""
    origin = origin.strip().rstrip("/")
    scheme, sep, rest = origin.partition("://")
    return f"{scheme.lower()}{sep}{rest.lower()}" if sep else origin.lower()


def parse_origins(value: str | Iterable[str] | None) -> list[str]:
    """Origins from a comma-separated string or a list; empty entries dropped."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    return [normalise_origin(o) for o in items if o and o.strip()]


def loopback_origins(port: int) -> list[str]:
    """The assistant's own origins when it serves the demo page itself on `port`."""
    return [f"http://127.0.0.1:{port}", f"http://localhost:{port}", f"http://[::1]:{port}"]


def client_manager() -> AsyncRedisManager | None:
    """python-socketio's Redis manager when REDIS_URL is set (channel SOCKETIO_REDIS_CHANNEL), else None
    (rooms in this process only)."""
    url = config.redis_url()
    if not url:
        return None
    return AsyncRedisManager(
        url,
        channel=os.environ.get("SOCKETIO_REDIS_CHANNEL") or "beijing-assistant-socketio",
        # A Redis that is down must not hold an emit (the local delivery comes first). No socket_timeout:
        # python-socketio's pub/sub listener uses these options too, and a read timeout made it drop its
        # connection after every 0.5 s without traffic and reconnect a second later, losing the emits of
        # other servers published in between (tests/e2e/test_scale_out.py's second tab missed replies).
        redis_options={"socket_connect_timeout": 0.5},
    )


def is_session_id(value: Any) -> bool:
    return isinstance(value, str) and bool(SESSION_ID.match(value))


def history_messages(
    events: Iterable[dict[str, Any]], limit: int = MAX_HISTORY_MESSAGES
) -> list[dict[str, Any]]:
    """The conversation as the widget shows it, from tracker events.

    Bot messages get the `bot_uttered` shapes Rasa's SocketIOOutput emits (text split on blank lines, quick
    replies on the last part, images and attachments); user messages that were a button's payload are shown
    with the button's title, like the widget shows them when clicked.
    """
    out: list[dict[str, Any]] = []
    last_buttons: dict[str, str] = {}
    for event in events:
        kind = event.get("event")
        if kind == "user":
            text = event.get("text") or ""
            if not text:
                continue
            out.append({"sender": "user", "text": last_buttons.get(text, text)})
            last_buttons = {}
        elif kind == "bot":
            data = event.get("data") or {}
            text = event.get("text") or ""
            buttons = data.get("buttons") or data.get("quick_replies") or []
            if buttons:
                last_buttons = {
                    str(b.get("payload")): str(b.get("title"))
                    for b in buttons
                    if isinstance(b, dict)
                }
            if text and common.is_card(data.get("custom")):
                out.append({"sender": "bot", **bot_uttered(text, buttons, data["custom"])})
            elif text:
                parts = [p for p in text.strip().split("\n\n")] or [text]
                messages: list[dict[str, Any]] = [{"sender": "bot", "text": p} for p in parts]
                if buttons:
                    messages[-1]["quick_replies"] = [
                        {
                            "content_type": "text",
                            "title": b.get("title"),
                            "payload": b.get("payload"),
                        }
                        for b in buttons
                        if isinstance(b, dict)
                    ]
                out.extend(messages)
            if data.get("image"):
                out.append(
                    {
                        "sender": "bot",
                        "attachment": {"type": "image", "payload": {"src": data["image"]}},
                    }
                )
            if data.get("attachment"):
                out.append({"sender": "bot", "attachment": data["attachment"]})
    return out[-limit:]


MALFORMED_EVENT = "malformed_packet"


class GuardedPacket(sio_packet.Packet):
    """python-socketio's packet (its `serializer` hook) that turns an undecodable packet into an event.

    A packet whose JSON python-socketio cannot decode (JSON nested 100,000 deep raises RecursionError,
    broken JSON ValueError) would otherwise end in a logged exception and silence; here it becomes the
    event `malformed_packet`, which the channel answers with `bot_error` before closing the socket.
    """

    def decode(self, encoded_packet: Any) -> int:
        try:
            return int(super().decode(encoded_packet))
        except (RecursionError, ValueError):
            self.packet_type = sio_packet.EVENT
            self.id = None
            self.data = [MALFORMED_EVENT]
            return 0


class NamespacedSocketIOOutput(SocketIOOutput):
    """Rasa's Socket.IO output for conversations stored as `socketio:<session id>` (see common.py): the
    replies go to the room of the session id itself."""

    async def _send_message(self, socket_id: str, response: Any) -> None:
        await super()._send_message(common.channel_sender("socketio", socket_id), response)

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """A reply with a card (bot/dialogue/cards.py) is one `bot_uttered`: its text (unsplit), quick
        replies and the card as `custom`. (Rasa 3.6 would emit the card as keyword arguments of
        `emit`, which does not reach the widget.)"""
        card = message.get("custom")
        if not common.is_card(card) or not message.get("text"):
            await super().send_response(recipient_id, message)
            return
        await self._send_message(
            recipient_id, bot_uttered(message["text"], message.get("buttons"), card)
        )


def bot_uttered(
    text: str, buttons: list[dict[str, Any]] | None, card: dict[str, Any]
) -> dict[str, Any]:
    """The widget's message for a reply with a card."""
    out: dict[str, Any] = {"text": text, "custom": card}
    if buttons:
        out["quick_replies"] = [
            {"content_type": "text", "title": b.get("title"), "payload": b.get("payload")}
            for b in buttons
            if isinstance(b, dict)
        ]
    return out


class _AppAwareBlueprint(SocketBlueprint):
    """SocketBlueprint that remembers the Sanic app (for the agent's tracker store)."""

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        self.ctx.app = app
        super().register(app, options)


class OriginCheckedSocketIOInput(SocketIOInput):
    """Rasa's `socketio` channel (same name, URL and events) that only accepts configured origins."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> OriginCheckedSocketIOInput:
        credentials = credentials or {}
        channel = cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            credentials.get("session_persistence", False),
            credentials.get("socketio_path", "/socket.io"),
            credentials.get("jwt_key"),
            credentials.get("jwt_method", "HS256"),
            credentials.get("metadata_key", "metadata"),
        )
        env_value = os.environ.get(ORIGINS_ENV, "").strip()
        channel.allowed_origins = (
            parse_origins(env_value)
            if env_value
            else parse_origins(credentials.get("allowed_origins"))
        )
        return channel

    def __init__(
        self, *args: Any, allowed_origins: Iterable[str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # Empty means "the assistant's own loopback origins" (see origin_allowed).
        self.allowed_origins: list[str] = parse_origins(list(allowed_origins or []))

    def origin_allowed(self, origin: str | None, environ: dict[str, Any] | None = None) -> bool:
        """python-engineio's `cors_allowed_origins` callable: is a browser on `origin` allowed to connect?"""
        if not origin:
            return False  # engineio only asks when the request has an Origin header
        origin = normalise_origin(origin)
        if self.allowed_origins:
            return origin in self.allowed_origins
        request = (environ or {}).get("sanic.request")
        port = getattr(getattr(request, "conn_info", None), "server_port", None)
        if not port:
            return False
        return origin in loopback_origins(int(port))

    def get_output_channel(self) -> SocketIOOutput | None:
        output = super().get_output_channel()
        return NamespacedSocketIOOutput(self.sio, self.bot_message_evt) if output else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=self.origin_allowed,
            cors_credentials=False,
            serializer=GuardedPacket,
            # Engine.IO's default is 1,000,000 bytes per packet (see common.MAX_SOCKETIO_PACKET_BYTES).
            max_http_buffer_size=common.MAX_SOCKETIO_PACKET_BYTES,
            client_manager=client_manager(),
        )
        limiter = common.RateLimiter()
        webhook = _AppAwareBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio  # for get_output_channel
        namespace = self.namespace

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        def joined(sid: str, session_id: Any) -> bool:
            if not self.session_persistence:
                return True
            return is_session_id(session_id) and session_id in sio.rooms(sid, namespace=namespace)

        @sio.on("connect", namespace=namespace)
        async def connect(sid: str, environ: dict, auth: dict | None) -> bool:
            if self.jwt_key:
                token = auth.get("token") if isinstance(auth, dict) else None
                payload = (
                    rasa.core.channels.channel.decode_bearer_token(
                        token, self.jwt_key, self.jwt_algorithm
                    )
                    if token
                    else None
                )
                if not payload:
                    return False
            logger.debug("socket %s connected", sid)
            return True

        @sio.on("disconnect", namespace=namespace)
        async def disconnect(sid: str, *_: Any) -> None:
            logger.debug("socket %s disconnected", sid)

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: Any = None) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            # Only ids shaped like the ones this server issues (uuid4 hex) are taken back; anything else
            # (missing, forged, too long) starts a new conversation.
            session_id = requested if is_session_id(requested) else uuid.uuid4().hex
            if self.session_persistence:
                # A socket follows one conversation: leave the previous one ("new conversation").
                for room in list(sio.rooms(sid, namespace=namespace)):
                    if room not in (sid, session_id) and is_session_id(room):
                        await sio.leave_room(sid, room, namespace=namespace)
                # (Rasa 3.6's own channel forgets to await this coroutine of python-socketio 5.x, so its
                # socket never joins the room its replies are sent to.)
                await sio.enter_room(sid, session_id, namespace=namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        @sio.on(MALFORMED_EVENT, namespace=namespace)
        async def malformed(sid: str, *_: Any) -> None:
            logger.warning("socket %s sent a packet that could not be decoded: refused", sid)
            await sio.emit(
                "bot_error", {"error": "malformed message"}, room=sid, namespace=namespace
            )
            await sio.disconnect(sid, namespace=namespace)

        @sio.on("history_request", namespace=namespace)
        async def history_request(sid: str, data: Any = None) -> dict[str, Any]:
            session_id = data.get("session_id") if isinstance(data, dict) else None
            if not is_session_id(session_id) or not joined(sid, session_id):
                return {"session_id": session_id, "messages": []}
            try:
                agent = webhook.ctx.app.ctx.agent
                store = agent.tracker_store
                tracker = await store.retrieve_full_tracker(
                    common.conversation_id(self.name(), str(session_id))
                )
            except Exception:  # no agent yet, store unavailable: no history rather than an error
                logger.exception("history for %s could not be read", session_id)
                tracker = None
            events = tracker.current_state(EventVerbosity.ALL)["events"] if tracker else []
            return {"session_id": session_id, "messages": history_messages(events)}

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any = None) -> None:
            try:
                await receive_message(sid, data)
            except (
                Exception
            ):  # anything unforeseen in reading the event: a clean error, never silence
                logger.exception("Socket.IO message of socket %s could not be read", sid)
                await sio.emit(
                    "bot_error", {"error": "malformed message"}, room=sid, namespace=namespace
                )

        async def receive_message(sid: str, data: Any) -> None:
            if not isinstance(data, dict):
                return
            session_id = data.get("session_id")
            if self.session_persistence:
                if not joined(sid, session_id):
                    logger.warning(
                        "message from socket %s for a session it did not request: ignored", sid
                    )
                    return
                sender_id, room = session_id, session_id
            else:
                sender_id, room = sid, sid
            conversation = common.conversation_id(self.name(), str(sender_id))
            raw = data.get("message")
            if not isinstance(raw, str):
                return
            text = clean_text(raw)
            if not text:
                return
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except (ValueError, RecursionError):
                    metadata = {}
            problem = common.metadata_problem(metadata)
            if problem or not isinstance(metadata, dict):
                # The widget's customData is optional: the message is answered without it.
                logger.warning("Socket.IO metadata from %s dropped: %s", sid, problem)
                metadata = {}
            display = metadata.pop("display", None)
            display = clean_text(display)[:MAX_DISPLAY_CHARS] if isinstance(display, str) else None
            # The conversation's other tabs show what was said here.
            await sio.emit(
                "user_echo",
                {"text": display or text[:MAX_DISPLAY_CHARS]},
                room=room,
                skip_sid=sid,
                namespace=namespace,
            )
            output = NamespacedSocketIOOutput(sio, self.bot_message_evt)
            if len(text) > MAX_MESSAGE_CHARS:
                lang = common.reply_language(text, metadata.get("language"))
                await output.send_text_message(room, common.too_long_reply(text, lang))
                return
            if not limiter.allow(conversation):
                lang = common.reply_language(text, metadata.get("language"))
                logger.warning("Socket.IO session %s is over the rate limit", room)
                await output.send_text_message(room, common.rate_limited_reply(lang))
                return
            await sio.emit("bot_typing", {"typing": True}, room=room, namespace=namespace)
            try:
                await on_new_message(
                    UserMessage(
                        text, output, conversation, input_channel=self.name(), metadata=metadata
                    )
                )
            except Exception:
                logger.exception("Socket.IO message from %s failed", sender_id)
                await sio.emit("bot_error", {}, room=room, namespace=namespace)
            finally:
                await sio.emit("bot_typing", {"typing": False}, room=room, namespace=namespace)

        return webhook
